// The write path: one KV message per write (put or delete marker), compare-and-swap through
// Nats-Expected-Last-Subject-Sequence, bounded retries of transient failures, and exactly-once outcomes
// for retried writes (Nats-Msg-Id deduplication, verified by reading the key back when in doubt).
//
// Why not `kv.put` / `kv.delete`: they take no headers (no origin, no idempotency key), `delete` does not
// return the marker's revision, and `kv.create` hides the tombstone retry this module needs to map exactly
// onto rule 4.
//
// Closing tells the truth about writes in flight (issue 22 item 6): close() sends no new attempt, waits up to
// a grace for the writes already sent, and a write still unanswered then says its outcome is unknown — never
// "failed" for a message the server may have stored. A write with nothing sent (or only definite refusals)
// fails with CLOSED.
// Rules cited here: docs/semantics.md#rule-4, #rule-10.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BackendUnavailableError,
  type BackoffPolicy,
  backoffDelay,
  ClosedError,
  ConflictError,
  casAccepts,
  comparableRevision,
  errorText,
  InFlightWrites,
  type KeyState,
  type Logger,
  PermissionDeniedError,
  ValueTooLargeError,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core/backend";
import type { JetStreamManager, StoredMsg } from "@nats-io/jetstream";
import { Empty, headers as natsHeaders } from "@nats-io/nats-core";
import { AckAbandonedError, AckInboxClosedError, type AckPublisher } from "./ack-inbox.js";
import type { BucketLayout } from "./bucket-layout.js";
import type { ConnectionState } from "./connection-state.js";
import { HEADERS, isTombstone } from "./kv-message.js";
import { readLastMessage } from "./last-message.js";
import {
  casMismatch,
  isConnectionClosed,
  isMessageTooLarge,
  isPermissionError,
  isTimeout,
  isTransient,
} from "./nats-errors.js";

/** What the writer needs from its backend. */
export interface WriterEnvironment {
  /** Where writes are published and acknowledged. */
  readonly acks: AckPublisher;
  readonly jsm: JetStreamManager;
  readonly layout: BucketLayout;
  readonly connection: ConnectionState;
  readonly deadlineMs: number;
  readonly logger: Logger;
  /** Whether the bucket allows direct gets (read the key's last message from any replica). */
  readonly allowDirect: () => boolean;
  /** The largest message the bucket or server accepts, when known. */
  readonly maxMessageBytes: () => number | undefined;
}

/** The last stored message of a key, as far as the writer cares. */
interface LastMessage {
  readonly revision: number;
  readonly deleted: boolean;
  readonly writeId: string | undefined;
}

const BACKEND = "jetstream";
const ATTEMPT_TIMEOUT_MS = 5_000;
/** Pauses between retries of a transient failure: 100 ms doubling to 1 s, half of each random. */
const RETRY: BackoffPolicy = { baseMs: 100, maxMs: 1_000, jitter: 0.5 };
/** Bound on compare-and-swap hops over tombstones when others keep racing on the same key. */
const MAX_TOMBSTONE_HOPS = 5;

/** Writes entries to the bucket. */
export class KvWriter {
  private closing = false;
  /** Aborted when closing starts: wakes writes pausing between attempts or waiting for a reconnection. */
  private readonly stopping = new AbortController();
  private readonly inFlight = new InFlightWrites();

  constructor(private readonly env: WriterEnvironment) {}

  /**
   * Stops writing: no write sends another attempt, and what was already sent gets up to `graceMs` to be
   * acknowledged (each then resolves with its revision, or fails with what the server answered). Writes
   * still unanswered after that fail with `BACKEND_UNAVAILABLE` "may or may not have been applied"; writes
   * that sent nothing fail with `CLOSED`. Resolves once the grace is over or nothing is in flight.
   */
  async close(graceMs: number): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.stopping.abort();
    }
    await this.inFlight.settle(graceMs);
    this.env.acks.close();
  }

  /**
   * Writes one entry; resolves with its revision or throws a typed core error (`CLOSED` once closing).
   * @param deadline - when the write must be done by (ms epoch); default `deadlineMs` from now
   */
  write(request: WriteRequest, deadline = Date.now() + this.env.deadlineMs): Promise<WriteResult> {
    if (this.closing) return Promise.reject(new ClosedError("the jetstream backend"));
    return this.inFlight.track(this.attempts(request, deadline));
  }

  private async attempts(request: WriteRequest, deadline: number): Promise<WriteResult> {
    const { connection } = this.env;
    if (!connection.connected) {
      throw new BackendUnavailableError(
        BACKEND,
        `not connected to NATS (${connection.detail || "disconnected"}); nothing was written`,
      );
    }
    const subject = this.env.layout.editSubject(request.key);
    const data = request.value ?? Empty;
    // One id for every attempt of this write: the stream answers a repeat with the first attempt's revision.
    const writeId = randomUUID();
    let expectedHeader = request.expectedRevision;
    let attempt = 0;
    let tombstoneHops = 0;
    // An attempt was sent and got no answer that proves it was not stored (a timeout, a dropped
    // connection, an acknowledgement abandoned at close): from then on a failure cannot say "not written".
    let maybeStored = false;
    for (;;) {
      if (this.closing) throw this.closedWhileWriting(request.key, maybeStored);
      attempt += 1;
      const h = natsHeaders();
      h.set(HEADERS.messageId, writeId);
      h.set(HEADERS.origin, request.origin);
      if (request.value === null) h.set(HEADERS.operation, "DEL");
      if (expectedHeader !== undefined) h.set(HEADERS.expectedLastSubjectSequence, String(expectedHeader));
      const remaining = deadline - Date.now();
      try {
        const ack = await this.publishWhileConnected(
          subject,
          data,
          h,
          Math.max(250, Math.min(remaining, ATTEMPT_TIMEOUT_MS)),
        );
        return { revision: ack };
      } catch (error) {
        if (
          isTimeout(error) ||
          error instanceof ConnectionDroppedError ||
          error instanceof AckAbandonedError
        ) {
          maybeStored = true;
        }
        const mismatch = casMismatch(error);
        if (mismatch && request.expectedRevision !== undefined) {
          const last = await this.lastMessage(request.key, deadline, maybeStored);
          // An earlier attempt of this very write landed (its ack was lost): that is success, not a conflict.
          if (last?.writeId === writeId) return { revision: last.revision };
          const state: KeyState | undefined = last && { revision: last.revision, deleted: last.deleted };
          if (casAccepts(request.expectedRevision, state) && tombstoneHops < MAX_TOMBSTONE_HOPS) {
            // Rule 4 says the write may proceed (e.g. creating over a tombstone, which JetStream only
            // accepts with the tombstone's own revision): swap against what is actually there.
            tombstoneHops += 1;
            expectedHeader = state?.revision ?? 0;
            continue;
          }
          throw new ConflictError({
            key: request.key,
            expectedRevision: request.expectedRevision,
            currentRevision: comparableRevision(state),
          });
        }
        if (this.closing || error instanceof AckInboxClosedError) {
          throw this.closedWhileWriting(request.key, maybeStored, error);
        }
        this.throwIfFinal(error, request, subject, maybeStored);
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new BackendUnavailableError(
            BACKEND,
            `no acknowledgement for ${request.key} within ${this.env.deadlineMs} ms after ${attempt} attempt(s) ` +
              `(${errorText(error)}); the write may or may not have been applied`,
            { cause: error },
          );
        }
        if (!connection.connected) {
          // Sent, outcome unknown: retry (deduplicated) once the connection is back, within the deadline.
          if (!(await this.untilClosing(connection.waitConnected(left), false))) {
            if (this.closing) throw this.closedWhileWriting(request.key, maybeStored, error);
            throw new BackendUnavailableError(
              BACKEND,
              `connection lost while writing ${request.key} and not restored within ${this.env.deadlineMs} ms; ` +
                "the write may or may not have been applied",
              { cause: error },
            );
          }
        } else {
          await this.pause(Math.min(backoffDelay(attempt, RETRY), Math.max(0, deadline - Date.now())));
        }
      }
    }
  }

  /**
   * The error of a write that closing ended: outcome unknown when an attempt may have been stored, else
   * `CLOSED` (nothing was written).
   */
  private closedWhileWriting(key: string, maybeStored: boolean, cause?: unknown): Error {
    if (!maybeStored) return new ClosedError("the jetstream backend");
    return new BackendUnavailableError(
      BACKEND,
      `the backend closed before the write of ${key} was acknowledged; the write may or may not have been applied`,
      { cause },
    );
  }

  /** Sleeps `ms`, or less when closing starts. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => {});
  }

  /** `wait`'s outcome, or `fallback` as soon as closing starts. */
  private untilClosing<T>(wait: Promise<T>, fallback: T): Promise<T> {
    if (this.closing) return Promise.resolve(fallback);
    const { signal } = this.stopping;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => resolve(fallback);
      signal.addEventListener("abort", onAbort, { once: true });
      wait.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  /** Publishes and resolves the acknowledged sequence; rejects early when the connection drops meanwhile. */
  private publishWhileConnected(
    subject: string,
    data: Uint8Array,
    h: ReturnType<typeof natsHeaders>,
    timeout: number,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const stop = this.env.connection.onChange((up, detail) => {
        if (up) return;
        stop();
        reject(new ConnectionDroppedError(detail));
      });
      this.env.acks.publish(subject, data, h, timeout).then(
        (sequence) => {
          stop();
          resolve(sequence);
        },
        (error: unknown) => {
          stop();
          reject(error);
        },
      );
    });
  }

  /** Errors no retry can fix: permission, size, closed connection, unexpected API answers. */
  private throwIfFinal(error: unknown, request: WriteRequest, subject: string, maybeStored: boolean): void {
    if (error instanceof ConnectionDroppedError || isTransient(error)) return;
    if (isPermissionError(error)) {
      throw new PermissionDeniedError(
        `not allowed to write ${request.key}: this host needs publish rights on ${subject.replace(/[^.]+$/, ">")} ` +
          `(${errorText(error)})`,
        { cause: error },
      );
    }
    if (isMessageTooLarge(error)) {
      const size = request.value?.byteLength ?? 0;
      throw new ValueTooLargeError(request.key, size, this.env.maxMessageBytes() ?? size);
    }
    if (isConnectionClosed(error)) {
      throw new BackendUnavailableError(
        BACKEND,
        maybeStored
          ? `the NATS connection closed while writing ${request.key}; the write may or may not have been applied`
          : "the NATS connection is closed; nothing was written",
        { cause: error },
      );
    }
    throw new BackendUnavailableError(BACKEND, `write of ${request.key} failed: ${errorText(error)}`, {
      cause: error,
    });
  }

  /**
   * The key's last stored message (retrying transient failures until the deadline, or until closing);
   * undefined if none.
   */
  private async lastMessage(
    key: string,
    deadline: number,
    maybeStored: boolean,
  ): Promise<LastMessage | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const stored = await this.readLast(key);
        if (!stored) return undefined;
        return {
          revision: stored.seq,
          deleted: isTombstone(stored.header),
          writeId: stored.header?.get(HEADERS.messageId) || undefined,
        };
      } catch (error) {
        if (isPermissionError(error)) {
          throw new PermissionDeniedError(
            `not allowed to read ${key} back after a conflict (${errorText(error)})`,
            {
              cause: error,
            },
          );
        }
        if (this.closing) throw this.closedWhileWriting(key, maybeStored, error);
        if (Date.now() >= deadline) {
          throw new BackendUnavailableError(
            BACKEND,
            `conditional write of ${key} was refused, and the key's current revision could not be read: ${errorText(error)}`,
            { cause: error },
          );
        }
        await this.pause(Math.min(backoffDelay(attempt, RETRY), Math.max(0, deadline - Date.now())));
      }
    }
  }

  private readLast(key: string): Promise<StoredMsg | null> {
    return readLastMessage(this.env, key);
  }
}

/** The connection dropped while a write awaited its acknowledgement. */
class ConnectionDroppedError extends Error {
  constructor(detail: string) {
    super(`connection dropped while awaiting the acknowledgement (${detail})`);
    this.name = "ConnectionDroppedError";
  }
}
