// A feed for any store that keeps a log of its changes (Redis streams, a database table, memory): the loop
// is here once — snapshot or checked resume, catch up to the head, then follow the log, retrying with
// backoff (core's FeedAttempts) and proving the history on every resume — and a backend supplies only its
// transport (connect, snapshot, head, read after a revision, read at revisions). The rules themselves are
// FeedProtocol's. Stores that push their changes to a watch use `followWatch` (watch-feed.ts) instead.
// Rules cited here: docs/semantics.md#rule-9.
import type { BackendEntry, BackendHead, FeedSubscription } from "./backend.js";
import type { BackoffPolicy } from "./backoff.js";
import type { DeliveredChange } from "./delivery-print.js";
import { FeedAttempts } from "./feed-attempts.js";
import { FeedProtocol, type FeedProtocolOptions } from "./feed-protocol.js";
import { VERIFY_EVERY_DELIVERIES } from "./recent-deliveries.js";
import { withTimeout } from "./with-timeout.js";

/** The head of a log: the store's head and how far back its log reaches. */
export interface LogHead extends BackendHead {
  /**
   * The oldest revision the log still holds (`0` when it holds none). Undefined when the log is never
   * trimmed below anything a feed can need.
   */
  readonly oldest?: number;
}

/** One logged change, with the history it was written in when the log records that. */
export interface LoggedChange extends DeliveredChange {
  /** The epoch the change belongs to, when the log stores it with each change. */
  readonly epoch?: string;
}

/**
 * Thrown by a transport when what it read cannot belong to any history the feed can continue (an entry the
 * store's writers did not make): the feed ends with a gap carrying this message, and is not retried.
 */
export class LogGapError extends Error {
  override readonly name = "LogGapError";
}

/** What a transport can tell its feed between calls. */
export interface LogSignals {
  /** The transport's connection went down (with why) or came back. */
  connection(up: boolean, detail: string): void;
  /** Cuts a backoff pause short (the connection is back). */
  wake(): void;
}

/**
 * A store's log, as `followLog` reads it. Every method may throw: the feed reports the connection down,
 * backs off and resumes — except for a `LogGapError`, which ends it with a gap. `close()` must make a
 * pending `read` settle.
 */
export interface LogTransport {
  /** Resolves once the transport can read (connecting if needed); throws when it cannot yet. */
  connect(): Promise<void>;
  /** The store's head (and how far back the log reaches). */
  head(): Promise<LogHead>;
  /**
   * Every current entry (tombstones included), through `deliver`, in any order; returns the position the
   * log must be replayed from to make the snapshot consistent, with the epoch the snapshot saw.
   */
  snapshot(deliver: (change: DeliveredChange) => void): Promise<BackendHead>;
  /**
   * Up to `limit` changes after revision `after`, in revision order. When there is none, waits up to `waitMs`
   * for one (0: do not wait) and returns what came, possibly nothing.
   */
  read(after: number, limit: number, waitMs: number): Promise<readonly LoggedChange[]>;
  /** The changes the log holds at `revisions` (undefined where it holds none any more). */
  readAt(revisions: readonly number[]): Promise<readonly (DeliveredChange | undefined)[]>;
  /** Releases the transport. */
  close(): Promise<void>;
}

/** Options of `followLog`. */
export interface LogFeedOptions extends Omit<FeedProtocolOptions, "onStop"> {
  /** Makes the transport, given the signals it may raise. */
  readonly transport: (signals: LogSignals) => LogTransport;
  /** Changes per read. Default 1000. */
  readonly batchSize?: number;
  /**
   * How long one read waits for a change. A read that returns in time also proves the connection works;
   * one that does not is a failure (the transport's timeout), and the feed reconnects.
   */
  readonly waitMs: number;
  /**
   * How often an idle feed checks the store's head and its history proof (a history lost or rewritten
   * without a sound). Jittered ± 20 %. Default {@link DEFAULT_LOG_AUDIT_INTERVAL_MS}.
   */
  readonly auditIntervalMs?: number;
  /** Pauses between failed attempts. Default 100 ms doubling to 5 s, half jittered. */
  readonly retry?: BackoffPolicy;
  /** Turns a failure into the detail the replica sees (default: `errorText`). */
  readonly describeError?: (error: unknown) => string;
  /** Called once when the feed stopped for good. */
  readonly onStop?: () => void;
  /** How long `close()` waits for the loop once the transport is closed. Default {@link LOG_FEED_CLOSE_GRACE_MS}. */
  readonly closeGraceMs?: number;
  /**
   * How the store numbers its changes. `contiguous` (the default): every change takes the next revision, so a
   * jump means changes were lost — a gap. `increasing`: revisions only grow (a store whose counter also
   * numbers other data, like etcd's cluster-wide revisions), so a jump is normal; a lost history is still
   * found by the epoch, the head and the history proof (rule 9).
   */
  readonly revisions?: "contiguous" | "increasing";
}

/**
 * How long `close()` waits for the feed's loop after closing its transport: 5 s. A transport call that never
 * settles (a client library that forgets a pending connect when it is ended) must not hold a host's shutdown;
 * the loop is abandoned with a warning naming the store.
 */
export const LOG_FEED_CLOSE_GRACE_MS = 5_000;

/** How often an idle log feed audits the store's head and history by default: 30 s. */
export const DEFAULT_LOG_AUDIT_INTERVAL_MS = 30_000;

/**
 * How soon a log feed proves what it delivered: 2 s after the oldest delivery no proof covers yet (or at once
 * past `VERIFY_EVERY_DELIVERIES`). A feed that delivers costs the store at most one head read and one read
 * of the proof's revisions every 2 s; an idle one nothing beyond its audits.
 */
export const PROVE_WITHIN_MS = 2_000;

/** The default pauses of a log feed between failed attempts. */
export const DEFAULT_LOG_RETRY: BackoffPolicy = { baseMs: 100, maxMs: 5_000, jitter: 0.5 };

/** Starts following a log (see the file comment). Never throws; problems reach the sink. */
export function followLog(options: LogFeedOptions): FeedSubscription {
  return new LogFeed(options);
}

class LogFeed implements FeedSubscription {
  private readonly protocol: FeedProtocol;
  private readonly transport: LogTransport;
  private readonly attempts: FeedAttempts;
  private readonly finished: Promise<void>;
  /** The revision `synced` is due at (the head when the feed started or resumed). */
  private target = 0;
  /** When an idle feed audits the head and the history proof next (ms epoch). */
  private nextAuditAt = 0;
  /** Since when deliveries have been waiting for a proof (ms epoch). */
  private unprovenSince: number | undefined;

  constructor(private readonly options: LogFeedOptions) {
    this.protocol = new FeedProtocol({ ...options, onStop: () => this.attempts.wake() });
    this.attempts = new FeedAttempts(this.protocol, {
      retry: options.retry ?? DEFAULT_LOG_RETRY,
      describeError: options.describeError,
      gapOf: (error) => (error instanceof LogGapError ? error.message : undefined),
      logger: options.logger,
      interrupted: "log feed interrupted",
    });
    this.transport = options.transport({
      connection: (up, detail) => {
        if (up) this.attempts.wake();
        this.protocol.report(up, detail);
      },
      wake: () => this.attempts.wake(),
    });
    this.finished = this.run().finally(() => options.onStop?.());
  }

  async close(): Promise<void> {
    this.protocol.stop();
    await this.transport.close().catch(() => {});
    const graceMs = this.options.closeGraceMs ?? LOG_FEED_CLOSE_GRACE_MS;
    const late = await withTimeout(this.finished, graceMs, () => new Error("abandoned")).then(
      () => false,
      () => true,
    );
    if (late) {
      this.options.logger.warn(
        { store: this.options.store, graceMs },
        "a closed log feed's transport did not settle; the feed was abandoned",
      );
    }
  }

  private get stopped(): boolean {
    return this.protocol.stopped;
  }

  private async run(): Promise<void> {
    let started = false;
    try {
      await this.attempts.run(async () => {
        await this.transport.connect();
        if (this.stopped) return;
        if (!started && this.protocol.snapshot) await this.snapshot();
        else await this.resume();
        started = true;
        this.attempts.succeeded();
        this.protocol.report(true, "connected");
        await this.follow();
      });
    } finally {
      await this.transport.close().catch(() => {});
    }
  }

  /**
   * A snapshot. The history is pinned by a head read first, so a snapshot retried after a failure (a cut
   * connection) on a store recreated meanwhile is a gap, never a snapshot restarted into the same staging.
   */
  private async snapshot(): Promise<void> {
    if (!this.protocol.acceptHead(await this.transport.head())) return;
    const seen = await this.transport.snapshot((change) =>
      this.protocol.snapshotEntry(change, entryOf(change)),
    );
    if (!this.protocol.acceptHead(seen)) return;
    this.protocol.position = Math.max(this.protocol.position, seen.revision);
    await this.resume();
  }

  /** A checked start after the position: the same history, the log still reaching back, the proof holding. */
  private async resume(): Promise<void> {
    const head = await this.transport.head();
    if (!this.protocol.acceptHead(head) || !this.reaches(head)) return;
    if (!(await this.proofHolds())) return;
    if (!this.protocol.synced) this.target = Math.max(this.target, head.revision);
  }

  /** False (after a gap) when the log holds other changes than were delivered at the proof's revisions. */
  private async proofHolds(): Promise<boolean> {
    const revisions = this.protocol.proofRevisions();
    const stored = revisions.length === 0 ? [] : await this.transport.readAt(revisions);
    if (!revisions.every((revision, i) => this.protocol.checkStored(revision, stored[i]))) return false;
    this.protocol.proven(revisions[0] ?? this.protocol.position);
    this.unprovenSince = undefined;
    return true;
  }

  /**
   * True when what the feed delivered must be proven now: `VERIFY_EVERY_DELIVERIES` are unproven, or the
   * oldest unproven delivery is `PROVE_WITHIN_MS` old. An idle feed with nothing unproven is never due.
   */
  private proofDue(): boolean {
    const unproven = this.protocol.unproven;
    if (unproven === 0) {
      this.unprovenSince = undefined;
      return false;
    }
    const now = Date.now();
    this.unprovenSince ??= now;
    return unproven >= VERIFY_EVERY_DELIVERIES || now - this.unprovenSince >= PROVE_WITHIN_MS;
  }

  /** False (after a gap) when the log was trimmed past the position while the store moved on. */
  private reaches(head: LogHead): boolean {
    const position = this.protocol.position;
    if (head.oldest === undefined || head.revision <= position) return true;
    if (head.oldest !== 0 && head.oldest <= position + 1) return true;
    return this.protocol.gap(
      `the log starts at revision ${head.oldest || "(empty)"} but this feed needs ${position + 1}: it was trimmed`,
    );
  }

  private async follow(): Promise<void> {
    const batch = this.options.batchSize ?? 1000;
    while (!this.stopped) {
      if (!this.protocol.synced && this.protocol.position >= this.target)
        this.protocol.markSynced(this.target);
      const catchingUp = !this.protocol.synced;
      const changes = await this.transport.read(
        this.protocol.position,
        batch,
        catchingUp ? 0 : this.options.waitMs,
      );
      if (this.stopped) return;
      if (changes.length === 0) {
        if (catchingUp || Date.now() >= this.nextAuditAt || this.proofDue()) await this.audit(catchingUp);
        continue;
      }
      for (const change of changes) {
        if (change.epoch !== undefined && change.epoch !== this.protocol.epoch) {
          this.protocol.gap(
            `the history changed (epoch ${this.protocol.epoch} → ${change.epoch}) at revision ${change.revision}`,
          );
          return;
        }
        this.protocol.liveEntry(change, entryOf(change), this.options.revisions !== "increasing");
        if (this.stopped) return;
      }
      // A busy feed proves what it delivered too: a rewrite followed by any number of changes is found
      // within PROVE_WITHIN_MS of the first of them, not only once the feed is idle (rule 9).
      if (this.proofDue()) await this.audit(false);
    }
  }

  /**
   * Is the history under the feed still the same one? Run when nothing new came and an audit is due (or the
   * feed is catching up), and after a batch once `VERIFY_EVERY_DELIVERIES` deliveries are unproven or an
   * audit is due. A lost history makes no noise, and one rewritten under the same epoch while the feed was
   * connected (a backup restored, then written past the position) not even a jump: the log then holds other
   * changes at revisions already delivered.
   */
  private async audit(catchingUp: boolean): Promise<void> {
    const interval = this.options.auditIntervalMs ?? DEFAULT_LOG_AUDIT_INTERVAL_MS;
    this.nextAuditAt = Date.now() + Math.round(interval * (0.8 + 0.4 * Math.random()));
    const head = await this.transport.head();
    if (this.stopped || !this.protocol.acceptHead(head) || !this.reaches(head)) return;
    if (!(await this.proofHolds()) || this.stopped) return;
    if (catchingUp && head.revision > this.protocol.position) {
      this.protocol.gap(
        `the log holds nothing after revision ${this.protocol.position} though the store reached ${head.revision}`,
      );
    }
    // Caught up with a head that moved back to the position (a log that keeps nothing after it): synced.
    if (catchingUp && !this.stopped) this.target = Math.min(this.target, this.protocol.position);
  }
}

/** What the sink gets for a logged change: the entry, without the proof's and the log's extras. */
/** The entry a logged change stands for: everything but the proof's write id and the epoch (`writtenAt` stays). */
function entryOf(change: LoggedChange): BackendEntry {
  const { writeId: _writeId, epoch: _epoch, ...entry } = change;
  return entry;
}
