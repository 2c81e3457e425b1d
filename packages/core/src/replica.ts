// The replica: a backend feed → the local materialized view. Implements semantics.md rules 1, 7, 8, 9, 10, 11
// once for every backend (the informer/reflector idea: list+watch, relist on gaps, a sync barrier).
import type { BackendEntry, BackendHead, FeedSink, FeedSubscription, LatticeBackend } from "./backend.js";
import { sameBytes } from "./bytes.js";
import type { LatticeChange } from "./change-event.js";
import { ClosedError, LatticeCacheError, NotReadyError } from "./errors.js";
import type { Logger } from "./logger.js";
import { type ApplyOutcome, ReplicaStore } from "./replica-store.js";
import { WatchHub } from "./watch-hub.js";

/** Where a replica is: catching up for the first time, live, serving possibly old data, or rebuilding. */
export type ReplicaState = "syncing" | "live" | "stale" | "resyncing";

/** Timing knobs of a replica. */
export interface ReplicaTiming {
  /** How often the backend head is compared with the applied revision. Default 1000 ms. */
  readonly stallCheckIntervalMs: number;
  /** How long the backend may be ahead with no progress before the feed is restarted. Default 4000 ms. */
  readonly stallTimeoutMs: number;
  /** Deadline of one head request. Default 2000 ms. */
  readonly headTimeoutMs: number;
  /** How long a write waits for its revision on the feed before applying it locally. Default 5000 ms. */
  readonly readYourWritesTimeoutMs: number;
}

/** Default replica timing: a stalled feed is noticed and restarted within about 5–6 s. */
export const DEFAULT_REPLICA_TIMING: ReplicaTiming = {
  stallCheckIntervalMs: 1000,
  stallTimeoutMs: 4000,
  headTimeoutMs: 2000,
  readYourWritesTimeoutMs: 5000,
};

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
  private pendingStall: { target: number; since: number } | undefined;
  private lastBackendRevision: number | undefined;
  private lastErrorText: string | undefined;
  private generation = 0;
  private feed: FeedSubscription | undefined;
  private feedActivityAt = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private closed = false;
  private readonly loggedInvalid = new Set<string>();
  /** This host's writes in flight: when the feed echoes one before its acknowledgement, reuse its decoded value. */
  private readonly ownInFlight = new Map<string, { readonly bytes: Uint8Array; readonly decoded: unknown }>();
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: unknown) => void;

  constructor(
    private readonly backend: LatticeBackend,
    private readonly logger: Logger,
    private readonly timing: ReplicaTiming = DEFAULT_REPLICA_TIMING,
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
    if (this.resyncing) return "resyncing";
    return this.staleSince === undefined ? "live" : "stale";
  }

  /** Since when (ms epoch) the replica may be serving old data, or undefined while live. */
  get staleSince(): number | undefined {
    const marks = [this.disconnectedSince, this.headFailingSince, this.stalledSince].filter(
      (m): m is number => m !== undefined,
    );
    return marks.length ? Math.min(...marks) : undefined;
  }

  /** Starts the initial sync and the stall detector. */
  start(): void {
    this.startFeed(0);
    if (this.backend.capabilities.ordered) {
      this.timer = setInterval(() => void this.checkHead(), this.timing.stallCheckIntervalMs);
      this.timer.unref();
    }
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
        if (current === entry.revision) return;
        if (current < entry.revision) {
          this.applyOutcome(entry, this.storeRef.apply(entry, decoded));
          return;
        }
        // A newer write superseded ours — or the backend lost its history and revisions restarted below
        // ours. Only the backend can tell: a changed epoch starts a resync, which we then wait for.
        await this.checkHead();
        if (this.staging) await this.waitForRevision(entry.revision, this.timing.readYourWritesTimeoutMs);
        return;
      }
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
    this.startFeed(0);
  }

  /** Restarts the feed after the last applied revision (a stalled watch, rule 9). */
  restartFeed(reason: string): void {
    if (this.closed) return;
    this.counters.feedRestarts += 1;
    this.logger.warn({ reason, applied: this.highWater }, "restarting the backend feed");
    this.startFeed(this.staging || !this.initialSynced ? 0 : this.highWater);
  }

  /** One stall/lost-history check against the backend head (rules 9 and 10). Normally run by the timer. */
  async checkHead(): Promise<void> {
    if (this.checking || this.closed) return;
    this.checking = true;
    const appliedBefore = this.highWater;
    try {
      const head = await withTimeout(this.backend.head(), this.timing.headTimeoutMs);
      if (this.closed) return;
      this.headFailingSince = undefined;
      this.lastBackendRevision = head.revision;
      this.evaluateHead(head, appliedBefore);
    } catch (error) {
      if (this.closed) return;
      this.headFailingSince ??= Date.now();
      this.lastErrorText = `head check failed: ${errorText(error)}`;
      this.logger.debug({ err: error }, "backend head check failed");
    } finally {
      this.checking = false;
    }
  }

  private evaluateHead(head: BackendHead, appliedBefore: number): void {
    const now = Date.now();
    if (this.staging) {
      // A snapshot that makes no progress for long is restarted.
      if (now - this.feedActivityAt > this.timing.stallTimeoutMs * 2)
        this.restartFeed("snapshot made no progress");
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
    if (head.revision <= this.highWater) {
      this.pendingStall = undefined;
      this.stalledSince = undefined;
      return;
    }
    if (!this.pendingStall || this.highWater >= this.pendingStall.target) {
      this.pendingStall = { target: head.revision, since: now };
      return;
    }
    if (now - this.pendingStall.since >= this.timing.stallTimeoutMs) {
      this.stalledSince ??= this.pendingStall.since;
      this.pendingStall = { target: head.revision, since: now };
      this.restartFeed(`feed stalled at revision ${this.highWater} while the backend is at ${head.revision}`);
    }
  }

  private startFeed(afterRevision: number): void {
    const previous = this.feed;
    this.generation += 1;
    const generation = this.generation;
    this.staging = afterRevision === 0 ? new ReplicaStore() : undefined;
    this.feedActivityAt = Date.now();
    previous
      ?.close()
      .catch((error: unknown) => this.logger.debug({ err: error }, "closing the old feed failed"));
    try {
      this.feed = this.backend.subscribe(afterRevision, this.sinkFor(generation));
    } catch (error) {
      this.lastErrorText = `subscribe failed: ${errorText(error)}`;
      this.logger.error({ err: error }, "subscribing to the backend feed failed; retrying");
      const retry = setTimeout(() => {
        if (generation === this.generation) this.startFeed(afterRevision);
      }, 1000);
      retry.unref();
    }
  }

  private sinkFor(generation: number): FeedSink {
    const current = () => generation === this.generation && !this.closed;
    return {
      entry: (entry) => {
        if (!current()) return;
        this.feedActivityAt = Date.now();
        // Data flowing on the current feed proves the connection, even if the feed never said so.
        if (!this.connected) this.onConnection(true, "the feed delivers again");
        if (this.staging) this.stage(this.staging, entry);
        else this.applyLive(entry, this.ownDecoded(entry));
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
    };
  }

  private ownDecoded(entry: BackendEntry): unknown {
    if (this.ownInFlight.size === 0 || entry.value === null) return undefined;
    const own = this.ownInFlight.get(entry.key);
    return own !== undefined && sameBytes(own.bytes, entry.value) ? own.decoded : undefined;
  }

  private stage(staging: ReplicaStore, entry: BackendEntry): void {
    const outcome = staging.apply(entry);
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
    this.readable = this.storeRef;
    this.lastBackendRevision = Math.max(head.revision, this.lastBackendRevision ?? 0);
    this.pendingStall = undefined;
    this.stalledSince = undefined;
    this.resyncing = false;
    const first = !this.initialSynced;
    this.initialSynced = true;
    this.counters.appliedChanges += events.length;
    for (const event of events) this.hub.emit(event);
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
    if (this.pendingStall && this.highWater >= this.pendingStall.target) {
      this.pendingStall = undefined;
      this.stalledSince = undefined;
    }
    this.resolveWaiters();
  }

  private applyOutcome(entry: BackendEntry, outcome: ApplyOutcome): void {
    if (outcome.kind === "changed") {
      this.counters.appliedChanges += 1;
      this.hub.emit(outcome.event);
    } else if (outcome.kind === "invalid") {
      this.reportInvalid(entry, outcome.error);
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
      void this.checkHead();
    }
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

function errorText(error: unknown): string {
  if (LatticeCacheError.isInstance(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
