// JetStream publishes acknowledged through one wildcard reply subscription: what `js.publish` does through
// nats.js's request machinery, without its per-request objects — a timer, a deferred, a request record and an
// Error (with its stack) built on every successful request, ~15 % of a writing host's CPU at 256 in flight.
// The outcomes are the ones `js.publish` gives, so nats-errors.ts classifies them the same way; closing adds
// two of its own, which say whether the message was sent (issue 22 item 6: a write sent before close() must
// never be reported as not written).
import { JetStreamApiError } from "@nats-io/jetstream";
import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  NoRespondersError,
  type PermissionViolationError,
  type Subscription,
  TimeoutError,
} from "@nats-io/nats-core";
import type { ConnectionState } from "./connection-state.js";
import type { ServerContact } from "./server-contact.js";

/** What a writer publishes through: an {@link AckInbox}, or a stand-in wrapping one (tests that lose an ack). */
export type AckPublisher = Pick<AckInbox, "publish" | "close">;

/** A publish refused because the inbox is closed: nothing was sent. */
export class AckInboxClosedError extends Error {
  constructor() {
    super("not sent: the backend is closing");
    this.name = "AckInboxClosedError";
  }
}

/**
 * The inbox closed while a publish still waited for its acknowledgement: the message was sent, and the server
 * may or may not have stored it.
 */
export class AckAbandonedError extends Error {
  constructor() {
    super("the backend closed before the acknowledgement arrived");
    this.name = "AckAbandonedError";
  }
}

/** A publish waiting for its acknowledgement. */
interface PendingAck {
  readonly subject: string;
  readonly deadline: number;
  readonly resolve: (sequence: number) => void;
  readonly reject: (error: Error) => void;
}

/** How often expired acknowledgements are looked for (a timeout fires at most this much late). */
const SWEEP_MS = 100;

const decoder = new TextDecoder();

/**
 * Publishes messages to a stream's subjects and resolves each with the stream sequence the server stored it at.
 * Rejects as `js.publish` would: a `JetStreamApiError` for an API error (a compare-and-swap mismatch, a message
 * too large), `NoRespondersError` when no stream listens, `TimeoutError` without an answer in time, the
 * server's `PermissionViolationError` for a subject this connection may not publish to.
 */
export class AckInbox {
  private readonly pending = new Map<string, PendingAck>();
  private prefix: string | undefined;
  private subscription: Subscription | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private next = 0;
  private closed = false;
  private readonly stopErrors: () => void;

  private readonly inboxPrefix: string | undefined;
  private readonly contact: ServerContact | undefined;

  /**
   * @param options.inboxPrefix - the connection's `inboxPrefix` option, where replies may go (default `_INBOX`)
   * @param options.contact - told of every acknowledgement (the server was heard)
   */
  constructor(
    private readonly nc: NatsConnection,
    connection: ConnectionState,
    options: { readonly inboxPrefix?: string; readonly contact?: ServerContact } = {},
  ) {
    this.inboxPrefix = options.inboxPrefix;
    this.contact = options.contact;
    this.stopErrors = connection.onError((error) => this.onServerError(error));
  }

  /**
   * Publishes `data` to `subject` with `headers`; resolves the stream sequence it was stored at. After
   * `close()` it sends nothing and rejects with {@link AckInboxClosedError}.
   */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<number> {
    if (this.closed) return Promise.reject(new AckInboxClosedError());
    const prefix = this.subscribe();
    const token = (this.next++).toString(36);
    return new Promise<number>((resolve, reject) => {
      this.pending.set(token, { subject, deadline: Date.now() + timeoutMs, resolve, reject });
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
      try {
        this.nc.publish(subject, data, { reply: prefix + token, headers });
      } catch (error) {
        this.settle(token)?.reject(error as Error);
      }
    });
  }

  /**
   * Stops listening: what still waits for its acknowledgement rejects with {@link AckAbandonedError} (sent,
   * outcome unknown); later publishes are refused unsent. Idempotent.
   */
  close(): void {
    this.closed = true;
    this.stopErrors();
    this.failAll(new AckAbandonedError());
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /** The reply subscription's prefix, subscribing first when there is none (or the last one ended). */
  private subscribe(): string {
    if (this.subscription && this.prefix) return this.prefix;
    const prefix = `${createInbox(this.inboxPrefix)}.`;
    this.prefix = prefix;
    this.subscription = this.nc.subscribe(`${prefix}*`, {
      callback: (error, msg) => (error ? this.onSubscriptionError(error) : this.onAck(prefix, msg)),
    });
    return prefix;
  }

  private onAck(prefix: string, msg: Msg): void {
    this.contact?.heard();
    const waiting = this.settle(msg.subject.slice(prefix.length));
    if (!waiting) return;
    const status = msg.headers?.code ?? 0;
    if (status === 503) {
      waiting.reject(new NoRespondersError(waiting.subject));
      return;
    }
    if (status >= 400) {
      waiting.reject(new Error(`JetStream answered ${status} ${msg.headers?.description ?? ""}`.trim()));
      return;
    }
    let ack: { stream?: string; seq?: number; error?: ConstructorParameters<typeof JetStreamApiError>[0] };
    try {
      ack = JSON.parse(decoder.decode(msg.data));
    } catch (error) {
      waiting.reject(new Error(`invalid publish acknowledgement: ${(error as Error).message}`));
      return;
    }
    if (ack.error) waiting.reject(new JetStreamApiError(ack.error));
    else if (!ack.stream || typeof ack.seq !== "number") waiting.reject(new Error("invalid ack response"));
    else waiting.resolve(ack.seq);
  }

  /** A publish the server refused: the oldest one pending for that subject fails (as nats.js requests do). */
  private onServerError(error: Error): void {
    if (error.name !== "PermissionViolationError") return;
    const refused = error as PermissionViolationError;
    if (refused.operation !== "publish") return;
    for (const [token, waiting] of this.pending) {
      if (waiting.subject !== refused.subject) continue;
      this.settle(token)?.reject(refused);
      return;
    }
  }

  /** The reply subscription failed (e.g. no permission on the inbox): everything pending fails with it. */
  private onSubscriptionError(error: Error): void {
    this.subscription = undefined;
    this.failAll(error);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, waiting] of this.pending) {
      if (waiting.deadline <= now) this.settle(token)?.reject(new TimeoutError());
    }
  }

  private failAll(error: Error): void {
    for (const token of [...this.pending.keys()]) this.settle(token)?.reject(error);
  }

  /** Removes and returns the publish waiting under `token`; stops the sweeper once nothing waits. */
  private settle(token: string): PendingAck | undefined {
    const waiting = this.pending.get(token);
    if (!waiting) return undefined;
    this.pending.delete(token);
    if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    return waiting;
  }
}
