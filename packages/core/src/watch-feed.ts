// A feed for any store that pushes its changes to a watch (a JetStream consumer, an etcd watch): the loop is
// here once — read the head, start a watch (a snapshot, or a replay from the history proof's start), take
// what it pushes in revision order, confirm the end of the initial sync against the head, restart the watch
// from the position when it breaks, falls silent or the store asks for it, back off after failures — and a
// backend supplies only its transport: where and how the watch is placed, and its flow control. What the
// rules are (the position, the history, the proof, gaps, `synced`) is FeedProtocol's; stores read by pulling
// a change log use `followLog` (log-feed.ts). Both retry through FeedAttempts.
// Rules cited here: docs/semantics.md#rule-8, #rule-9, #rule-10.
import type { BackendHead, FeedSubscription } from "./backend.js";
import type { DeliveredChange } from "./delivery-print.js";
import { FeedAttempts } from "./feed-attempts.js";
import { FeedProtocol, type FeedProtocolOptions } from "./feed-protocol.js";
import { DEFAULT_LOG_RETRY, type LogFeedOptions } from "./log-feed.js";

/** Where a watch starts. */
export interface WatchStart<H extends BackendHead = BackendHead> {
  /**
   * `0`: a snapshot — each key's last change, tombstones included — then live changes. Otherwise the revision
   * to replay from, then live: the history proof's start (`FeedProtocol.proofStart`), at or below the
   * feed's position, so the replay up to the position proves what was delivered.
   */
  readonly from: number;
  /** The head the feed read just before, as the transport returned it (what it may place the watch by). */
  readonly head: H;
  /** 1 for the feed's first attempt; every later one replaces a watch that ended (or an attempt that failed). */
  readonly attempt: number;
}

/**
 * What one watch tells its feed. Calls from a watch that was stopped or replaced are ignored, so a transport
 * may keep its callbacks simple.
 */
export interface WatchEvents {
  /** Something came from the store (a change, a heartbeat, a flow-control request): the watch is not silent. */
  heard(): void;
  /**
   * One change, in revision order. One at or below the feed's position is a replay: compared with what was
   * delivered there (the history proof), never delivered again. `replayed`: as {@link WatchEvents.replayed}.
   */
  change(change: DeliveredChange, replayed?: boolean): void;
  /**
   * The watch passed `revision` with nothing (more) to deliver up to it — an idle watch's heartbeat, a change
   * that is none of the feed's. `replayed`: as {@link WatchEvents.replayed}.
   */
  passed(revision: number, replayed?: boolean): void;
  /**
   * The watch says it has pushed everything the store held (nothing pending). A hint only — the feed confirms
   * with a head read before it reports `synced` (rule 8).
   */
  replayed(): void;
  /** The watch lost changes or ended (a skipped delivery, a bad status): restarted at once from the position. */
  broken(reason: string): void;
  /** The watch failed: the connection is reported down with the error, and the watch restarted after a pause. */
  failed(error: unknown): void;
}

/** What a transport can tell its feed at any time (not about one watch). */
export interface WatchSignals {
  /** The store's connection went down (reported; the watch is kept) or came back (the watch is restarted). */
  connection(up: boolean, detail: string): void;
  /** Restart the watch from the position now (coalesced with any restart already asked for). */
  restart(reason: string): void;
  /** The replica should compare its position with the store's head soon (see `FeedSink.check`). */
  check(reason: string): void;
}

/** A feed's view for a transport's own watchdog checks. */
export interface WatchState {
  /** `synced` was reported. */
  readonly synced: boolean;
  /** The last revision delivered (0: nothing yet). */
  readonly position: number;
}

/**
 * A push-watch store, as `followWatch` runs it: at most one watch at a time. `head` and `start` may throw:
 * the feed reports the connection down, backs off and starts again.
 * @typeParam H - the head as the transport reads it, with whatever it needs to place a watch (handed back in
 *   {@link WatchStart.head}).
 */
export interface WatchTransport<H extends BackendHead = BackendHead> {
  /** Why the store cannot be reached now (the feed waits for `connection(true)`), or undefined when it can. */
  unreachable(): string | undefined;
  /** The store's head: its revision and epoch (rule 9), read before each watch and to confirm the sync. */
  head(): Promise<H>;
  /**
   * Starts a watch that pushes to `events` (it may push before this resolves). Resolves once it runs, with
   * undefined — or with a reason to replace it at once (e.g. placed where it should not be), after stopping it.
   */
  start(start: WatchStart<H>, events: WatchEvents): Promise<string | undefined>;
  /** Stops the current watch, if any (best effort, never throws). Also called after `close()`. */
  stop(): void;
  /** Releases the transport for good: listeners, timers, the watch. Called once, when the feed stops. */
  close(): void;
  /**
   * Called by the feed's watchdog while a watch runs and the store is reachable: a reason to replace the watch
   * now (a history audit due, a sync on a lagging server), or undefined.
   */
  restartDue?(state: WatchState): string | undefined;
}

/** Options of `followWatch`. */
export interface WatchFeedOptions<H extends BackendHead = BackendHead>
  extends Omit<FeedProtocolOptions, "onStop">,
    Pick<LogFeedOptions, "retry" | "describeError" | "onStop" | "revisions"> {
  /** Makes the transport, given the signals it may raise. */
  readonly transport: (signals: WatchSignals) => WatchTransport<H>;
  /**
   * How long a running watch may stay silent (no {@link WatchEvents.heard}) before it is replaced, and the
   * replica asked to check the head. Undefined: never (a store whose watch has no heartbeat).
   */
  readonly silenceMs?: number;
  /** How often the watchdog looks at the watch. Default 1 000 ms. */
  readonly tickMs?: number;
  /**
   * How long an initial sync may chase a head that keeps moving before its watch is replaced (a watch that
   * lags the store never catches up while others write). Default {@link DEFAULT_SYNC_PATIENCE_MS}.
   */
  readonly syncPatienceMs?: number;
}

/** A running watch feed. */
export interface WatchFeed extends FeedSubscription {
  /** Something happened to the store (e.g. an advisory): the replica compares its position with the head once. */
  check(reason: string): void;
}

/** How long an initial sync may chase a moving head by default before its watch is replaced: 5 s. */
export const DEFAULT_SYNC_PATIENCE_MS = 5_000;

/** Starts following a push-watch store (see the file comment). Never throws; problems reach the sink. */
export function followWatch<H extends BackendHead>(options: WatchFeedOptions<H>): WatchFeed {
  return new PushWatchFeed(options);
}

class PushWatchFeed<H extends BackendHead> implements WatchFeed {
  private readonly protocol: FeedProtocol;
  private readonly attempts: FeedAttempts;
  private readonly transport: WatchTransport<H>;
  private readonly watchdog: NodeJS.Timeout;
  private readonly contiguous: boolean;
  /** Attempts made so far. */
  private started = 0;
  /** The attempt whose watch may push now (0: none): events of any other are ignored. */
  private current = 0;
  /** A watch runs (started, not replaced): what the watchdog looks at. */
  private watching = false;
  /** Why the watch must be replaced, once asked. */
  private restartReason: string | undefined;
  /** What made the running watch fail, once it did. */
  private failure: { readonly error: unknown } | undefined;
  /** The head revision the initial sync must pass before asking whether it has caught up (rule 8). */
  private target = 0;
  /** How far the current watch says it went (heartbeats), past changes that were not the feed's included. */
  private passedRevision = 0;
  private confirming = false;
  private confirmAgain = false;
  /** Since when the initial sync has been past its target while the head kept moving. */
  private chasingSince: number | undefined;
  private lastActivity = Date.now();

  constructor(private readonly options: WatchFeedOptions<H>) {
    this.protocol = new FeedProtocol({ ...options, onStop: () => this.release() });
    this.contiguous = options.revisions !== "increasing";
    this.attempts = new FeedAttempts(this.protocol, {
      retry: options.retry ?? DEFAULT_LOG_RETRY,
      describeError: options.describeError,
      logger: options.logger,
      interrupted: "watch feed interrupted",
    });
    this.transport = options.transport({
      connection: (up, detail) => {
        if (up) this.restart(`connection restored (${detail})`);
        else this.protocol.report(false, detail);
      },
      restart: (reason) => this.restart(reason),
      check: (reason) => this.protocol.check(reason),
    });
    this.watchdog = setInterval(() => this.tick(), options.tickMs ?? 1_000);
    this.watchdog.unref();
    // Not inside the caller's subscribe(): the first report reaches the sink once it holds the feed.
    queueMicrotask(() => void this.attempts.run(() => this.watch()));
  }

  check(reason: string): void {
    this.protocol.check(reason);
  }

  /** Stops delivery and releases the transport at once; a watch still being started is stopped once it is. */
  async close(): Promise<void> {
    this.protocol.stop();
  }

  private get stopped(): boolean {
    return this.protocol.stopped;
  }

  /** The feed started from nothing and has not synced yet: the watch pushes a snapshot. */
  private get snapshotting(): boolean {
    return this.protocol.snapshot && !this.protocol.synced;
  }

  /** Once, when the protocol stops (closed, or a gap). */
  private release(): void {
    clearInterval(this.watchdog);
    this.transport.close();
    this.attempts.wake();
    this.options.onStop?.();
  }

  /** Replaces the watch (now, or once the attempt under way has finished). */
  private restart(reason: string): void {
    if (this.stopped) return;
    this.restartReason = reason;
    this.attempts.wake();
  }

  /**
   * One attempt: a head read (rule 9: another history, or one behind the feed, is a gap), a watch from the
   * position (a snapshot at 0, else from the proof's start), then waiting until it must be replaced.
   */
  private async watch(): Promise<void> {
    const attempt = ++this.started;
    const reason = this.restartReason ?? "retry";
    this.restartReason = undefined;
    this.failure = undefined;
    this.current = attempt;
    if (attempt > 1)
      this.options.logger.debug({ reason, position: this.protocol.position }, "restarting the watch");
    try {
      const unreachable = this.transport.unreachable();
      if (unreachable !== undefined) {
        this.protocol.report(false, unreachable);
        await this.untilReplaced();
        return;
      }
      // Changes may be pushed while the head is on its way: it is compared with the position it was asked at.
      const asOf = this.protocol.position;
      const head = await this.transport.head();
      if (this.stopped || !this.protocol.acceptHead(head, asOf)) return;
      if (!this.protocol.synced) this.target = Math.max(this.target, head.revision);
      const position = this.protocol.position;
      this.passedRevision = position;
      this.chasingSince = undefined;
      this.lastActivity = Date.now();
      this.protocol.replayingProof();
      const from = position === 0 ? 0 : this.protocol.proofStart();
      const replace = await this.transport.start({ from, head, attempt }, this.eventsOf(attempt));
      if (this.stopped) return;
      this.attempts.succeeded();
      this.lastActivity = Date.now();
      if (replace !== undefined) this.restartReason ??= replace;
      else {
        this.watching = true;
        this.protocol.report(true, "watching");
      }
      const failure = await this.untilReplaced();
      if (failure !== undefined) throw failure.error;
    } finally {
      this.watching = false;
      this.current = 0;
      this.transport.stop();
    }
  }

  /** Waits until the watch must be replaced (or the feed stopped); returns what made it fail, if anything did. */
  private async untilReplaced(): Promise<{ readonly error: unknown } | undefined> {
    while (!this.stopped && this.restartReason === undefined && this.failure === undefined) {
      await this.attempts.pause();
    }
    return this.failure;
  }

  private eventsOf(attempt: number): WatchEvents {
    const live = () => this.current === attempt;
    return {
      heard: () => {
        if (live()) this.lastActivity = Date.now();
      },
      change: (change, replayed = false) => {
        if (!live()) return;
        if (change.revision <= this.protocol.position) this.protocol.checkStored(change.revision, change);
        // A snapshot holds each key's last change only: its revisions jump by nature.
        else this.protocol.liveEntry(change, change, this.contiguous && !this.snapshotting);
        if (!this.protocol.synced) this.catchUp(replayed);
      },
      passed: (revision, replayed = false) => {
        if (!live()) return;
        if (revision > this.passedRevision) this.passedRevision = revision;
        if (replayed && !this.protocol.synced) this.catchUp(true);
      },
      replayed: () => {
        if (live() && !this.protocol.synced) this.catchUp(true);
      },
      broken: (reason) => {
        if (live()) this.restart(reason);
      },
      failed: (error) => {
        if (!live() || this.stopped) return;
        this.failure = { error };
        this.attempts.wake();
      },
    };
  }

  /** The watchdog: a silent watch, then what the transport finds due. */
  private tick(): void {
    if (this.stopped || !this.watching || this.transport.unreachable() !== undefined) return;
    const silenceMs = this.options.silenceMs;
    const silent = Date.now() - this.lastActivity;
    if (silenceMs !== undefined && silent > silenceMs) {
      const reason = `nothing heard from the watch for ${silent} ms`;
      this.protocol.check(reason);
      this.restart(reason);
      return;
    }
    const due = this.transport.restartDue?.({
      synced: this.protocol.synced,
      position: this.protocol.position,
    });
    if (due !== undefined) this.restart(due);
  }

  /**
   * Rule 8's barrier. Reaching the head read before the watch started is not enough: a store that keeps one
   * revision per key can replace a key's change below it with a newer one before the watch gets there, and
   * that newer one must be in the snapshot too. So once the feed has passed its target (or the watch hints
   * it is done — hints only, a server can say "nothing pending" early), the head is read again: at or below
   * the position means caught up; otherwise it becomes the next target.
   */
  private catchUp(hint: boolean): void {
    if (this.protocol.synced || this.stopped) return;
    const position = Math.max(this.protocol.position, this.passedRevision);
    if (!hint && position < this.target) return;
    if (this.confirming) {
      this.confirmAgain = true;
      return;
    }
    this.confirming = true;
    void this.confirmCaughtUp().finally(() => {
      this.confirming = false;
      if (this.confirmAgain && !this.protocol.synced) {
        this.confirmAgain = false;
        this.catchUp(true);
      }
    });
  }

  private async confirmCaughtUp(): Promise<void> {
    let head: H;
    // Changes arrive while the head is on its way: it is compared with the position it was asked at.
    const asOf = this.protocol.position;
    try {
      head = await this.transport.head();
    } catch (error) {
      // Asked again on the next change or heartbeat.
      this.options.logger.debug({ err: error }, "could not read the head during the initial sync");
      return;
    }
    if (this.protocol.synced || this.stopped) return;
    // The store recreated during the initial sync: a gap, never a snapshot of two histories.
    if (!this.protocol.acceptHead(head, asOf)) return;
    const position = Math.max(this.protocol.position, this.passedRevision);
    if (head.revision <= position) {
      this.protocol.markSynced(position);
      return;
    }
    // Past the last target and the head moved on again: chasing it. A watch that lags the store (on a server
    // that stopped following) chases forever while others write; after a while, it is replaced.
    if (position >= this.target) {
      const now = Date.now();
      this.chasingSince ??= now;
      const patienceMs = this.options.syncPatienceMs ?? DEFAULT_SYNC_PATIENCE_MS;
      if (now - this.chasingSince > patienceMs) {
        this.restart(
          `the initial sync chased the head for ${now - this.chasingSince} ms (at ${position}, head ${head.revision}): the watch lags`,
        );
        return;
      }
    }
    this.target = Math.max(this.target, head.revision);
  }
}
