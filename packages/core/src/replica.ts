// The replica: a backend feed → the local materialized view. Implements docs/semantics.md rules 1, 7, 8, 9, 10, 11
// once for every backend (the informer/reflector idea: list+watch, relist on gaps, a sync barrier).
// Rules cited here: docs/semantics.md#rule-1, #rule-7, #rule-8, #rule-9, #rule-10, #rule-11.
import type {
  BackendEntry,
  BackendHead,
  FeedPosition,
  FeedSink,
  FeedSubscription,
  LatticeBackend,
} from "./backend.js";
import { type BackoffPolicy, backoffDelay } from "./backoff.js";
import { sameBytes } from "./bytes.js";
import type { LatticeChange } from "./change-event.js";
import { errorText } from "./error-text.js";
import { ClosedError, NotReadyError } from "./errors.js";
import type { Logger } from "./logger.js";
import { type ApplyOutcome, ReplicaStore } from "./replica-store.js";
import { WatchHub } from "./watch-hub.js";

/** Where a replica is: catching up for the first time, live, serving possibly old data, or rebuilding. */
export type ReplicaState = "syncing" | "live" | "stale" | "resyncing";

/** Timing knobs of a replica. */
export interface ReplicaTiming {
  /**
   * How often the replica looks at itself (no request), and how often it asks the backend's head while
   * something looks wrong: a feed signal, a reconnection, a lag, an own write the feed did not bring yet.
   * Default 1000 ms.
   */
  readonly stallCheckIntervalMs: number;
  /**
   * How often the backend's head is asked while everything looks healthy: the slow fallback that finds a
   * feed that went silent without any signal (jittered ± 20 %, so hosts do not ask together). Default
   * 60 000 ms.
   */
  readonly idleCheckIntervalMs: number;
  /**
   * How long the backend may be ahead while the replica applies nothing before the feed is restarted.
   * A feed that applies anything between two checks is lagging, not stalled, and is left alone.
   * Default 4000 ms.
   */
  readonly stallTimeoutMs: number;
  /** Deadline of one head request. Default 2000 ms. */
  readonly headTimeoutMs: number;
  /** How long a write waits for its revision on the feed before applying it locally. Default 5000 ms. */
  readonly readYourWritesTimeoutMs: number;
}

/**
 * Default replica timing: a stalled feed that some signal reveals (heartbeats, a leader change, an own
 * write, a reconnection) is restarted within about 5–6 s; one that went silent without any, within about
 * 80 s. An idle replica asks the backend's head about once a minute.
 */
export const DEFAULT_REPLICA_TIMING: ReplicaTiming = {
  stallCheckIntervalMs: 1000,
  idleCheckIntervalMs: 60_000,
  stallTimeoutMs: 4000,
  headTimeoutMs: 2000,
  readYourWritesTimeoutMs: 5000,
};

/**
 * How long a feed restarted n times in a row must again make no progress before the next restart: the
 * stall timeout first, then 2 s, 4 s … 30 s — a feed that is slow, not dead, gets time to show it.
 */
export const FEED_RESTART_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000 };

/** The default tombstone retention: 24 h. */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Counters a replica keeps for status and metrics. */
export interface ReplicaCounters {
  /** Changes applied from the feed (and own writes). */
  appliedChanges: number;
  /** Values that failed validation and were skipped (rule 11). */
  invalidEntries: number;
  /** Full resyncs after gaps or lost history (rule 9). */
  resyncs: number;
  /** Feed restarts after a stall (rule 9). */
  feedRestarts: number;
}

/**
 * How long after a feed's signal (or a reconnection) the replica keeps asking the head at every look: what
 * follows a cluster event — a consumer left on a follower that stopped following, a history rewritten by
 * the election — makes no sound of its own, and shows only as a lag that does not close.
 */
export const SIGNAL_WATCH_MS = 30_000;

/** How far the idle head check is jittered: ± this share of `idleCheckIntervalMs`. */
export const IDLE_CHECK_JITTER = 0.2;

/** How many of the latest live changes the propagation delay is measured over. */
export const PROPAGATION_SAMPLES = 256;

/** Propagation delay over the latest live changes (see `Replica.propagation`). */
export interface PropagationDelay {
  /** Live changes with a backend write time measured (at most `PROPAGATION_SAMPLES`). */
  readonly samples: number;
  /** Median delay in ms, or undefined with no samples. */
  readonly p50Ms: number | undefined;
  /** 99th percentile delay in ms, or undefined with no samples. */
  readonly p99Ms: number | undefined;
}

interface Waiter {
  readonly revision: number;
  readonly resolve: (reached: boolean) => void;
}

/** The materialized view of one host, fed by a backend. Used through `LatticeCache`. */
export class Replica {
  /** Change fan-out. */
  readonly hub: WatchHub;
  /** Counters for status and metrics. */
  readonly counters: ReplicaCounters = { appliedChanges: 0, invalidEntries: 0, resyncs: 0, feedRestarts: 0 };

  private storeRef = new ReplicaStore();
  private staging: ReplicaStore | undefined;
  private highWater = 0;
  private epoch: string | undefined;
  private initialSynced = false;
  private resyncing = false;
  private connected = true;
  private disconnectedSince: number | undefined;
  private headFailingSince: number | undefined;
  private stalledSince: number | undefined;
  /** Since when the backend has been ahead while the replica applied nothing (a stall candidate). */
  private noProgressSince: number | undefined;
  /** The applied revision at the last head check: more now means the feed made progress. */
  private appliedAtLastCheck = 0;
  /** Head revisions seen ahead of the replica, oldest first, with when: how long the replica lags. */
  private lagMarks: { revision: number; at: number }[] = [];
  /** Feed restarts since the feed last kept up for a whole backoff period. */
  private restartsInRow = 0;
  private lastRestartAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastBackendRevision: number | undefined;
  private lastErrorText: string | undefined;
  private generation = 0;
  private feed: FeedSubscription | undefined;
  private feedActivityAt = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Why the head must be asked at the next tick (a feed signal), if it must. */
  private checkDue: string | undefined;
  /** Until when (ms epoch) the head is asked at every look, after a signal or a reconnection. */
  private watchUntil = 0;
  /** When the next idle head check is due (ms epoch). */
  private nextIdleCheckAt = 0;
  /** The last time (ms epoch) the replica knew it held everything the backend had: the offline rule. */
  private caughtUpAt = Date.now();
  /** When tombstones were last pruned (ms epoch). */
  private prunedAt = Date.now();
  private checkInFlight: Promise<void> | undefined;
  private checkQueued: Promise<void> | undefined;
  private closed = false;
  private readonly loggedInvalid = new Set<string>();
  /** Propagation delays (ms) of the latest live feed changes, a ring of `PROPAGATION_SAMPLES`. */
  private readonly delays: number[] = [];
  private nextDelay = 0;
  /** This host's writes in flight: when the feed echoes one before its acknowledgement, reuse its decoded value. */
  private readonly ownInFlight = new Map<string, { readonly bytes: Uint8Array; readonly decoded: unknown }>();
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: unknown) => void;

  constructor(
    private readonly backend: LatticeBackend,
    private readonly logger: Logger,
    private readonly timing: ReplicaTiming = DEFAULT_REPLICA_TIMING,
    /** How long tombstones are kept (ms, 0 = forever); see `LatticeCacheOptions.tombstoneRetentionMs`. */
    readonly tombstoneRetentionMs: number = DEFAULT_TOMBSTONE_RETENTION_MS,
  ) {
    this.hub = new WatchHub((error) => this.logger.error({ err: error }, "a change listener threw"));
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.readyPromise.catch(() => {});
  }

  /** The current view. Replaced wholesale by a resync. */
  get store(): ReplicaStore {
    return this.storeRef;
  }

  /**
   * The view reads are served from: undefined until the initial sync completes (rule 8). A plain field,
   * not a getter, because every read goes through it.
   */
  readable: ReplicaStore | undefined;

  /** The highest revision this replica has applied (or knows it holds everything up to). */
  get revision(): number {
    return this.highWater;
  }

  /** The backend's revision at the last head check or sync, if known. */
  get backendRevision(): number | undefined {
    return this.lastBackendRevision;
  }

  /** True once the initial sync completed (rule 8). */
  get isReady(): boolean {
    return this.initialSynced;
  }

  /** The last problem seen (feed, head check), for status. */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /** Sync state (see `ReplicaState`). */
  get state(): ReplicaState {
    if (!this.initialSynced) return "syncing";
    // Unreachable wins: a resync that lost its backend serves the view it wanted to replace (rule 10).
    if (this.staleSince !== undefined) return "stale";
    return this.resyncing ? "resyncing" : "live";
  }

  /**
   * How long (ms) the oldest change the replica has not applied yet has been known to exist: 0 when caught
   * up with the last head seen. A lagging replica is live; it is stale only when it makes no progress.
   */
  get lagMs(): number {
    const oldest = this.lagMarks[0];
    return oldest === undefined ? 0 : Date.now() - oldest.at;
  }

  /** Since when (ms epoch) the replica may be serving old data, or undefined while live. */
  get staleSince(): number | undefined {
    const marks = [this.disconnectedSince, this.headFailingSince, this.stalledSince].filter(
      (m): m is number => m !== undefined,
    );
    return marks.length ? Math.min(...marks) : undefined;
  }

  /**
   * Propagation delay: for the latest live changes this replica applied from the feed, the time from when
   * the backend stored them (`BackendEntry.writtenAt`, by the backend's clock) to when they were applied.
   * Snapshot entries and own writes applied on their acknowledgement are not counted. No samples when the
   * backend gives no write time or nothing arrived live yet.
   */
  get propagation(): PropagationDelay {
    const n = this.delays.length;
    if (n === 0) return { samples: 0, p50Ms: undefined, p99Ms: undefined };
    const sorted = [...this.delays].sort((a, b) => a - b);
    return { samples: n, p50Ms: nearestRank(sorted, 0.5), p99Ms: nearestRank(sorted, 0.99) };
  }

  /** Starts the initial sync and the stall detector. */
  start(): void {
    this.startFeed({ revision: 0 });
    this.scheduleIdleCheck();
    this.timer = setInterval(() => this.tick(), this.timing.stallCheckIntervalMs);
    this.timer.unref();
  }

  /**
   * The replica looks at itself every `stallCheckIntervalMs` and asks the backend's head only when it has a
   * reason (rule 9): a feed signal, a lag the feed has not closed since the last look, a snapshot, a failing
   * or lost connection — or the slow idle fallback. A healthy idle replica costs the backend nothing else.
   */
  private tick(): void {
    if (this.closed || this.checkInFlight !== undefined) return;
    const now = Date.now();
    this.pruneTombstones(now);
    if (!this.backend.capabilities.ordered) return;
    if (this.staging) {
      this.checkSnapshotProgress(now);
      return;
    }
    if (!this.initialSynced) return;
    const oldestLag = this.lagMarks[0];
    const lagging = oldestLag !== undefined && now - oldestLag.at >= this.timing.stallCheckIntervalMs;
    if (
      this.checkDue !== undefined ||
      lagging ||
      now < this.watchUntil ||
      this.staleSince !== undefined ||
      now >= this.nextIdleCheckAt
    ) {
      void this.checkHead();
    }
  }

  /** A snapshot that delivers nothing for long is restarted (backing off like a stalled feed). */
  private checkSnapshotProgress(now: number): void {
    if (now - this.feedActivityAt > this.restartPatience(this.timing.stallTimeoutMs * 2)) {
      this.restartFeed("snapshot made no progress");
    }
  }

  private scheduleIdleCheck(): void {
    const interval = this.timing.idleCheckIntervalMs;
    this.nextIdleCheckAt =
      Date.now() + Math.round(interval * (1 + IDLE_CHECK_JITTER * (2 * Math.random() - 1)));
  }

  /** Drops tombstones older than the retention, every quarter of it (at most every 10 minutes). */
  private pruneTombstones(now: number): void {
    const retention = this.tombstoneRetentionMs;
    if (retention <= 0 || now - this.prunedAt < Math.min(retention / 4, 600_000)) return;
    this.prunedAt = now;
    this.storeRef.pruneTombstones(now - retention);
  }

  /** Rule 8: resolves once every change up to the backend's revision at subscription time is applied. */
  ready(timeoutMs?: number): Promise<void> {
    if (timeoutMs === undefined) return this.readyPromise;
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new NotReadyError(`initial sync did not complete within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.readyPromise.then(
        () => {
          clearTimeout(t);
          resolve();
        },
        (error) => {
          clearTimeout(t);
          reject(error);
        },
      );
    });
  }

  /**
   * Rule 7: after the backend acknowledged `entry`, make sure this replica has applied it before the
   * write resolves. Applied at once when it is the next revision in order; otherwise waits for the feed,
   * and applies it locally if the feed does not bring it in time.
   */
  async applyOwnWrite(entry: BackendEntry, decoded?: unknown): Promise<void> {
    if (this.closed) return;
    if (this.initialSynced && !this.staging) {
      if (!this.backend.capabilities.ordered || entry.revision === this.highWater + 1) {
        this.applyLive(entry, decoded);
        return;
      }
      if (this.highWater >= entry.revision) {
        const current = this.storeRef.revisionOf(entry.key) ?? 0;
        // The common case: the feed brought this very revision before the acknowledgement arrived.
        if (current === entry.revision) {
          if (this.storeRef.holds(entry, decoded)) return;
          // This replica holds another value at our acknowledged revision: the history under it was lost (a
          // new epoch, which a head read tells) or rewritten under the same epoch (a restored backup, which
          // only this tells). Either way the replica must resync before the write resolves (rule 7).
          await this.checkHead();
          if (!this.staging && !this.closed) {
            this.resync(
              `own write ${entry.key}@${entry.revision} was acknowledged, but the replica holds another value at that revision: the backend's history was rewritten`,
            );
          }
          await this.waitForRevision(entry.revision, this.timing.readYourWritesTimeoutMs);
          return;
        }
        if (current < entry.revision) {
          this.applyOutcome(entry, this.storeRef.apply(entry, decoded));
          return;
        }
        // A newer write superseded ours — or the backend lost its history and revisions restarted below
        // ours. Only the backend can tell, from a head read after our acknowledgement (a check already in
        // flight may have read it before): a changed epoch starts a resync, which we then wait for.
        await this.checkHead();
        if (this.staging) await this.waitForRevision(entry.revision, this.timing.readYourWritesTimeoutMs);
        return;
      }
    }
    // The acknowledgement tells the backend holds this revision: a feed that does not bring it by the next
    // look is asked about (rule 9) — a host that writes notices a dead feed without waiting for the fallback.
    if (this.initialSynced && !this.staging && this.backend.capabilities.ordered) {
      this.markLag(entry.revision, Date.now());
    }
    const reached = await this.waitForRevision(entry.revision, this.timing.readYourWritesTimeoutMs);
    if (reached || this.closed) return;
    this.logger.warn(
      { key: entry.key, revision: entry.revision, applied: this.highWater },
      "feed did not deliver an acknowledged write in time; applying it locally and checking the feed",
    );
    this.applyOutcome(entry, this.storeRef.apply(entry, decoded));
    void this.checkHead();
  }

  /** Registers an own write about to be sent (see `ownInFlight`); returns the function that forgets it. */
  expectOwnWrite(key: string, bytes: Uint8Array | null, decoded: unknown): () => void {
    if (bytes === null || decoded === undefined) return noop;
    const pending = { bytes, decoded };
    this.ownInFlight.set(key, pending);
    return () => {
      if (this.ownInFlight.get(key) === pending) this.ownInFlight.delete(key);
    };
  }

  /** Resolves `true` when the replica has applied `revision` (outside a resync), `false` after `timeoutMs`. */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    if (this.reached(revision)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const waiter: Waiter = {
        revision,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      // Kept sorted by revision; writes mostly arrive in order, so this is usually an append.
      let i = this.waiters.length;
      while (i > 0 && (this.waiters[i - 1] as Waiter).revision > revision) i--;
      this.waiters.splice(i, 0, waiter);
    });
  }

  /** Stops the feed and the stall detector; pending waiters resolve, watchers end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.rejectReady(new ClosedError());
    for (const w of this.waiters) w.resolve(true);
    this.waiters = [];
    this.hub.endAll();
    const feed = this.feed;
    this.feed = undefined;
    await feed
      ?.close()
      .catch((error: unknown) => this.logger.warn({ err: error }, "closing the feed failed"));
  }

  /** Rule 9: drop the view's basis and rebuild it from a fresh snapshot, emitting the resulting changes. */
  resync(reason: string): void {
    if (this.closed) return;
    this.counters.resyncs += 1;
    this.lastErrorText = reason;
    this.logger.warn({ reason, applied: this.highWater }, "resyncing the replica from the backend");
    if (this.initialSynced) this.resyncing = true;
    this.lagMarks = [];
    this.startFeed({ revision: 0 });
  }

  /** Restarts the feed after the last applied revision (a stalled watch, rule 9). */
  restartFeed(reason: string): void {
    if (this.closed) return;
    if (this.awayTooLong()) {
      this.resync(`${reason}, and the replica was away longer than half the tombstone retention`);
      return;
    }
    this.counters.feedRestarts += 1;
    this.restartsInRow += 1;
    this.lastRestartAt = Date.now();
    this.logger.warn({ reason, applied: this.highWater }, "restarting the backend feed");
    this.startFeed(
      this.staging || !this.initialSynced ? { revision: 0 } : { revision: this.highWater, epoch: this.epoch },
    );
  }

  /**
   * One stall/lost-history check against the backend head (rules 9 and 10), normally run by the timer.
   * Resolves after a check that read the head after this call: when one is already in flight (it may have
   * read the head before the caller's write was acknowledged), one more runs after it.
   */
  checkHead(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.checkInFlight === undefined) {
      this.checkInFlight = this.runHeadCheck().finally(() => {
        this.checkInFlight = undefined;
      });
      return this.checkInFlight;
    }
    this.checkQueued ??= this.checkInFlight.then(() => {
      this.checkQueued = undefined;
      return this.checkHead();
    });
    return this.checkQueued;
  }

  private async runHeadCheck(): Promise<void> {
    const appliedBefore = this.highWater;
    const askedAt = Date.now();
    this.checkDue = undefined;
    this.scheduleIdleCheck();
    try {
      const head = await withTimeout(this.backend.head(), this.timing.headTimeoutMs);
      if (this.closed) return;
      this.headFailingSince = undefined;
      this.lastBackendRevision = head.revision;
      this.evaluateHead(head, appliedBefore, askedAt);
    } catch (error) {
      if (this.closed) return;
      this.headFailingSince ??= Date.now();
      this.lastErrorText = `head check failed: ${errorText(error)}`;
      this.logger.debug({ err: error }, "backend head check failed");
    }
  }

  private evaluateHead(head: BackendHead, appliedBefore: number, askedAt: number): void {
    const now = Date.now();
    if (this.staging) {
      this.checkSnapshotProgress(now);
      return;
    }
    if (!this.initialSynced) return;
    if (this.epoch !== undefined && head.epoch !== this.epoch) {
      this.resync(`backend history changed (epoch ${this.epoch} → ${head.epoch})`);
      return;
    }
    if (head.revision < appliedBefore) {
      this.resync(
        `backend revision ${head.revision} is behind the applied revision ${appliedBefore}: history lost`,
      );
      return;
    }
    const progressed = this.highWater > this.appliedAtLastCheck;
    this.appliedAtLastCheck = this.highWater;
    if (head.revision <= this.highWater) {
      this.caughtUp();
      this.caughtUpAt = Math.max(this.caughtUpAt, askedAt);
      if (now - this.lastRestartAt >= FEED_RESTART_BACKOFF.maxMs) this.restartsInRow = 0;
      return;
    }
    this.markLag(head.revision, now);
    if (progressed) {
      // Lagging, not stalled: the feed delivers, only later than the head moves. Leave it alone.
      this.noProgressSince = now;
      this.stalledSince = undefined;
      return;
    }
    this.noProgressSince ??= now;
    if (now - this.noProgressSince < this.timing.stallTimeoutMs) return;
    this.stalledSince ??= this.noProgressSince;
    if (now - this.noProgressSince < this.restartPatience(this.timing.stallTimeoutMs)) return;
    this.noProgressSince = now;
    this.restartFeed(`feed stalled at revision ${this.highWater} while the backend is at ${head.revision}`);
  }

  /** How long a feed must make no progress before it is restarted, given the restarts in a row so far. */
  private restartPatience(first: number): number {
    if (this.restartsInRow === 0) return first;
    return Math.max(first, backoffDelay(this.restartsInRow + 1, FEED_RESTART_BACKOFF));
  }

  /** Nothing known to be missing: no stall, no lag. */
  private caughtUp(): void {
    this.noProgressSince = undefined;
    this.stalledSince = undefined;
    this.lagMarks = [];
  }

  /** The backend is known to hold `revision`, which the replica has not applied yet. */
  private markLag(revision: number, now: number): void {
    const lastMark = this.lagMarks.at(-1);
    if (lastMark === undefined || revision > lastMark.revision) this.lagMarks.push({ revision, at: now });
  }

  /** Drops the lag marks the replica has now passed. */
  private passLagMarks(): void {
    let n = 0;
    while (n < this.lagMarks.length && (this.lagMarks[n] as { revision: number }).revision <= this.highWater)
      n++;
    if (n === 0) return;
    this.lagMarks.splice(0, n);
    // Everything the backend was known to hold is applied: nothing is missing, however long it took.
    if (this.lagMarks.length === 0) this.caughtUp();
  }

  private startFeed(from: FeedPosition): void {
    if (this.closed) return;
    const previous = this.feed;
    this.feed = undefined;
    this.generation += 1;
    const generation = this.generation;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.staging = from.revision === 0 ? new ReplicaStore() : undefined;
    this.feedActivityAt = Date.now();
    previous
      ?.close()
      .catch((error: unknown) => this.logger.debug({ err: error }, "closing the old feed failed"));
    try {
      this.feed = this.backend.subscribe(from, this.sinkFor(generation));
    } catch (error) {
      this.lastErrorText = `subscribe failed: ${errorText(error)}`;
      this.logger.error({ err: error }, "subscribing to the backend feed failed; retrying");
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (generation === this.generation && !this.closed) this.startFeed(from);
      }, 1000);
      this.retryTimer.unref();
    }
  }

  private sinkFor(generation: number): FeedSink {
    const current = () => generation === this.generation && !this.closed;
    return {
      entry: (entry) => {
        if (!current()) return;
        this.feedActivityAt = Date.now();
        // Data flowing on the current feed proves the connection, even if the feed never said so.
        if (!this.connected) {
          this.onConnection(true, "the feed delivers again");
          if (!current()) return;
        }
        if (this.staging) this.stage(this.staging, entry);
        else {
          // A revision already applied (an own write applied on its acknowledgement) did not propagate now.
          if (entry.writtenAt !== undefined && entry.revision > this.highWater) {
            this.recordDelay(Date.now() - entry.writtenAt);
          }
          this.applyLive(entry, this.ownDecoded(entry));
        }
      },
      synced: (head) => {
        if (!current()) return;
        // Synced first: the reconnection's head check must compare against the new basis, not the old one.
        this.onSynced(head);
        if (!this.connected) this.onConnection(true, "the feed synced");
      },
      gap: (reason) => {
        if (current()) this.resync(`feed gap: ${reason}`);
      },
      connection: (connected, detail) => {
        if (current()) this.onConnection(connected, detail);
      },
      check: (reason) => {
        if (current()) this.suspect(reason);
      },
    };
  }

  private recordDelay(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const delay = Math.max(0, ms);
    if (this.delays.length < PROPAGATION_SAMPLES) this.delays.push(delay);
    else this.delays[this.nextDelay] = delay;
    this.nextDelay = (this.nextDelay + 1) % PROPAGATION_SAMPLES;
  }

  private ownDecoded(entry: BackendEntry): unknown {
    if (this.ownInFlight.size === 0 || entry.value === null) return undefined;
    const own = this.ownInFlight.get(entry.key);
    return own !== undefined && sameBytes(own.bytes, entry.value) ? own.decoded : undefined;
  }

  private stage(staging: ReplicaStore, entry: BackendEntry): void {
    const outcome = staging.load(entry);
    if (outcome.kind === "invalid") this.reportInvalid(entry, outcome.error);
  }

  private onSynced(head: BackendHead): void {
    this.feedActivityAt = Date.now();
    const staging = this.staging;
    let events: LatticeChange[] = [];
    if (staging) {
      events = this.storeRef.diffTo(staging);
      this.storeRef = staging;
      this.staging = undefined;
      this.highWater = Math.max(head.revision, staging.maxRevision);
    } else {
      this.highWater = Math.max(this.highWater, head.revision);
    }
    this.epoch = head.epoch;
    this.caughtUpAt = Date.now();
    this.readable = this.storeRef;
    this.lastBackendRevision = Math.max(head.revision, this.lastBackendRevision ?? 0);
    this.appliedAtLastCheck = this.highWater;
    this.noProgressSince = undefined;
    this.stalledSince = undefined;
    this.passLagMarks();
    this.resyncing = false;
    const first = !this.initialSynced;
    this.initialSynced = true;
    this.counters.appliedChanges += events.length;
    this.hub.emitBatch(events);
    if (first) {
      this.logger.info({ revision: this.highWater, entries: this.storeRef.size }, "initial sync complete");
      this.resolveReady();
    }
    this.resolveWaiters();
  }

  private applyLive(entry: BackendEntry, decoded?: unknown): void {
    if (entry.revision > this.highWater) this.highWater = entry.revision;
    if (this.lastBackendRevision !== undefined && this.highWater > this.lastBackendRevision) {
      this.lastBackendRevision = this.highWater;
    }
    this.applyOutcome(entry, this.storeRef.apply(entry, decoded));
    if (this.lagMarks.length > 0) this.passLagMarks();
    this.resolveWaiters();
  }

  private applyOutcome(entry: BackendEntry, outcome: ApplyOutcome): void {
    if (outcome.kind === "invalid") this.reportInvalid(entry, outcome.error);
    // An invalid value over a valid one is a change too: the key no longer reads as the old value (rule 11).
    if ((outcome.kind === "changed" || outcome.kind === "invalid") && outcome.event !== undefined) {
      this.counters.appliedChanges += 1;
      this.hub.emit(outcome.event);
    }
  }

  private reportInvalid(entry: BackendEntry, error: unknown): void {
    this.counters.invalidEntries += 1;
    // Rule 11: logged once per key, counted every time.
    if (this.loggedInvalid.has(entry.key) || this.loggedInvalid.size >= 10_000) return;
    this.loggedInvalid.add(entry.key);
    this.logger.warn(
      { key: entry.key, revision: entry.revision, reason: errorText(error) },
      "skipping an invalid entry from the backend",
    );
  }

  private onConnection(connected: boolean, detail?: string): void {
    if (!connected && this.connected) {
      this.connected = false;
      this.disconnectedSince = Date.now();
      this.lastErrorText = `disconnected${detail ? `: ${detail}` : ""}`;
      this.logger.warn({ detail }, "backend feed disconnected; serving reads from the replica");
    } else if (connected && !this.connected) {
      this.connected = true;
      this.disconnectedSince = undefined;
      this.logger.info({ detail }, "backend feed reconnected");
      this.watchUntil = Date.now() + SIGNAL_WATCH_MS;
      if (this.awayTooLong()) {
        this.resync(
          "the feed came back after longer than half the tombstone retention: deletes it missed may have been compacted",
        );
        return;
      }
      void this.checkHead();
    }
  }

  /**
   * Rule 6 across a compaction: a feed that resumes after the replica last knew it was caught up more than
   * half the tombstone retention ago may have missed deletes whose tombstones were compacted away since —
   * a resumed feed cannot see a delete that is no longer stored. Such a replica resyncs from a snapshot.
   */
  private awayTooLong(): boolean {
    const retention = this.tombstoneRetentionMs;
    return (
      retention > 0 &&
      this.initialSynced &&
      this.backend.capabilities.history &&
      Date.now() - this.caughtUpAt > retention / 2
    );
  }

  /**
   * Something points at a problem (a feed's signal, a write the backend did not answer): ask the head at the
   * next look, and keep asking for `SIGNAL_WATCH_MS` (rules 9 and 10).
   */
  suspect(reason: string): void {
    if (this.closed) return;
    this.logger.debug({ reason }, "feed signal: watching the backend head");
    this.checkDue ??= reason;
    this.watchUntil = Date.now() + SIGNAL_WATCH_MS;
  }

  private reached(revision: number): boolean {
    return this.initialSynced && !this.staging && this.highWater >= revision;
  }

  private resolveWaiters(): void {
    if (this.staging || !this.initialSynced) return;
    let n = 0;
    while (n < this.waiters.length && (this.waiters[n] as Waiter).revision <= this.highWater) n++;
    if (n === 0) return;
    const done = this.waiters.splice(0, n);
    for (const w of done) w.resolve(true);
  }
}

function noop(): void {}

/** The nearest-rank percentile `q` (0–1) of ascending, non-empty `sorted`. */
function nearestRank(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    t.unref();
    promise.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
