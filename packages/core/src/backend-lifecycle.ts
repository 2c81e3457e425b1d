// The lifecycle a connection-keeping backend shares with every other: open once (concurrent callers share one
// attempt, a failed attempt may be retried, none after close), connect until a deadline, and a close() that
// tells the truth about writes in flight — it waits (bounded) for the replies to writes already started, and
// a write it cuts off says its outcome is unknown (issue 22 item 6). What is the store's own — making the
// connection, provisioning, sending a write — stays in the backend.
// Rules cited here: docs/semantics.md#rule-10.
import { ConnectDeadline } from "./connect-deadline.js";
import { BackendUnavailableError, ClosedError } from "./errors.js";
import { InFlightWrites } from "./in-flight-writes.js";

/** What a backend hands its {@link BackendLifecycle}. */
export interface BackendLifecycleOptions<C> {
  /** The backend's name, as its errors carry it: `redis`. */
  readonly backend: string;
  /** How long one `open()` may try to connect (the backend's `connectTimeoutMs`). */
  readonly connectTimeoutMs: number;
  /** How long `close()` waits for the replies to writes in flight (the backend's `closeGraceMs`). */
  readonly closeGraceMs: number;
  /**
   * Makes the connection and provisions the lattice, trying until `deadline` passes. Throws a typed error
   * (`deadline.unavailable(…)` when nothing answered in time), after releasing what it made.
   */
  readonly connect: (deadline: ConnectDeadline) => Promise<C>;
  /** Releases a connection: the open one at the end of `close()`, or one `connect` made after `close()` began. */
  readonly release: (connection: C) => void | Promise<void>;
  /** Called once a connection is in use (not when `close()` began meanwhile): where a backend logs it. */
  readonly opened?: (connection: C) => void;
}

/**
 * Open-once, connect-until-deadline and close-with-writes-in-flight for one backend instance, over its
 * connection type `C`.
 *
 * ```ts
 * private readonly lifecycle = new BackendLifecycle({ backend: "kv", connectTimeoutMs, closeGraceMs,
 *   connect: (deadline) => this.connect(deadline), release: (client) => client.end() });
 * open() { return this.lifecycle.open(); }
 * async write(request) { return this.lifecycle.track(send(await this.lifecycle.ready(), request)); }
 * close() { return this.lifecycle.close(() => this.feeds.close()); }
 * ```
 */
export class BackendLifecycle<C> {
  private current: C | undefined;
  private opening: Promise<void> | undefined;
  private closing = false;
  /** Writes started and not answered yet: close() waits for them (bounded by `closeGraceMs`). */
  private readonly inFlight = new InFlightWrites();

  constructor(private readonly options: BackendLifecycleOptions<C>) {}

  /** True once `close()` has begun. */
  get closed(): boolean {
    return this.closing;
  }

  /** The open connection: undefined before `open()` succeeded, and once `close()` released it. */
  get connection(): C | undefined {
    return this.current;
  }

  /** The error of anything asked of the backend once `close()` has begun: `ClosedError` "the <name> backend is closed". */
  closedError(): ClosedError {
    return new ClosedError(`the ${this.options.backend} backend`);
  }

  /**
   * Connects unless connected: concurrent calls share one attempt; after a failed attempt the next call tries
   * again. Rejects with what `connect` threw, or `ClosedError` once `close()` has begun.
   */
  open(): Promise<void> {
    if (this.closing) return Promise.reject(this.closedError());
    this.opening ??= this.connectOnce().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  /** The open connection, opening it first when needed. Throws `ClosedError` once `close()` has begun. */
  async ready(): Promise<C> {
    if (this.closing) throw this.closedError();
    if (this.current === undefined) await this.open();
    if (this.current === undefined) throw this.closedError();
    return this.current;
  }

  /** Tracks `write` as in flight until it settles (`close()` waits for it); returns it unchanged. */
  track<T>(write: Promise<T>): Promise<T> {
    return this.inFlight.track(write);
  }

  /**
   * The error of a write that `close()` cut off after it was sent: `BackendUnavailableError` saying the
   * write may or may not have been applied. `why` is the client's own words for the cut.
   */
  writeCutOff(key: string, why: string, cause: unknown): BackendUnavailableError {
    return new BackendUnavailableError(
      this.options.backend,
      `the backend closed before the write of ${key} was acknowledged (${why}); ` +
        "the write may or may not have been applied",
      { cause },
    );
  }

  /**
   * Begins closing (`closed` is true from the first step), runs `alongside` (the backend's own closing, e.g.
   * its feeds) while it waits up to `closeGraceMs` for the writes in flight, then releases the connection.
   * Idempotent.
   */
  async close(alongside?: () => Promise<unknown>): Promise<void> {
    this.closing = true;
    await Promise.all([alongside?.(), this.inFlight.settle(this.options.closeGraceMs)]);
    const connection = this.current;
    this.current = undefined;
    if (connection !== undefined) await this.options.release(connection);
  }

  private async connectOnce(): Promise<void> {
    const connection = await this.options.connect(
      new ConnectDeadline(this.options.backend, this.options.connectTimeoutMs),
    );
    if (this.closing) {
      await this.options.release(connection);
      throw this.closedError();
    }
    this.current = connection;
    this.options.opened?.(connection);
  }
}
