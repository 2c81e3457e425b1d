// The replica: a backend feed → the local materialized view. Implements docs/semantics.md rules 1, 7, 8, 9, 10, 11
// once for every backend (the informer/reflector idea: list+watch, relist on gaps, a sync barrier). This
// class only wires its parts, each with one job: the view (what is held, applying changes), the feed
// reflector (start, restart, resync and swap), the monitor (head checks, lag, stall, staleness — the state),
// own writes (read-your-writes), propagation stats and tombstone pruning. Data flows one way: feed →
// reflector → view → reads and events; a write only reports its acknowledgement.
// Rules cited here: docs/semantics.md#rule-1, #rule-7, #rule-8, #rule-9, #rule-10, #rule-11.
import type { BackendEntry, LatticeBackend } from "./backend.js";
import { ClosedError, NotReadyError } from "./errors.js";
import { FeedReflector } from "./feed-reflector.js";
import type { Logger } from "./logger.js";
import { OwnWrites } from "./own-writes.js";
import { type PropagationDelay, PropagationStats } from "./propagation-stats.js";
import {
  DEFAULT_REPLICA_TIMING,
  ReplicaMonitor,
  type ReplicaState,
  type ReplicaTiming,
} from "./replica-monitor.js";
import type { ReplicaStore } from "./replica-store.js";
import { type ReplicaCounters, ReplicaView } from "./replica-view.js";
import { DEFAULT_TOMBSTONE_RETENTION_MS, TombstonePruner } from "./tombstone-pruner.js";
import { WatchHub } from "./watch-hub.js";

export { PROPAGATION_SAMPLES, type PropagationDelay } from "./propagation-stats.js";
export {
  DEFAULT_REPLICA_TIMING,
  FEED_RESTART_BACKOFF,
  IDLE_CHECK_JITTER,
  type ReplicaState,
  type ReplicaTiming,
  SIGNAL_WATCH_MS,
} from "./replica-monitor.js";
export type { ReplicaCounters } from "./replica-view.js";
export { DEFAULT_TOMBSTONE_RETENTION_MS } from "./tombstone-pruner.js";

/** The materialized view of one host, fed by a backend. Used through `LatticeCache`. */
export class Replica {
  /** Change fan-out. */
  readonly hub: WatchHub;
  /** What the replica holds; collection handles read `view.readable` directly (the hot path). */
  readonly view: ReplicaView;
  private readonly reflector: FeedReflector;
  private readonly monitor: ReplicaMonitor;
  private readonly ownWrites: OwnWrites;
  private readonly propagationStats = new PropagationStats();
  private readonly pruner: TombstonePruner;
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: unknown) => void;
  private closed = false;

  constructor(
    backend: LatticeBackend,
    logger: Logger,
    timing: ReplicaTiming = DEFAULT_REPLICA_TIMING,
    /** How long tombstones are kept (ms, 0 = forever); see `LatticeCacheOptions.tombstoneRetentionMs`. */
    readonly tombstoneRetentionMs: number = DEFAULT_TOMBSTONE_RETENTION_MS,
  ) {
    this.hub = new WatchHub((error) => logger.error({ err: error }, "a change listener threw"));
    this.view = new ReplicaView(this.hub, logger, () => {
      this.monitor.advanced();
      this.ownWrites.resolveWaiters();
    });
    this.pruner = new TombstonePruner(tombstoneRetentionMs);
    const { ordered, history } = backend.capabilities;
    this.reflector = new FeedReflector({
      backend,
      view: this.view,
      propagation: this.propagationStats,
      ownWrites: {
        decodedOf: (entry) => this.ownWrites.decodedOf(entry),
        confirm: (entry) => this.ownWrites.confirm(entry),
        rebased: () => this.ownWrites.rebased(),
      },
      logger,
      events: {
        connection: (connected, detail) => this.monitor.connection(connected, detail),
        delivering: () => this.monitor.delivering(),
        check: (reason) => this.monitor.suspect(reason),
        synced: (head) => this.monitor.synced(head),
        published: () => this.published(),
        resyncing: () => this.monitor.resyncing(),
        problem: (text) => this.monitor.problem(text),
      },
    });
    this.monitor = new ReplicaMonitor({
      head: () => backend.head(),
      ordered,
      history,
      view: this.view,
      feed: this.reflector,
      timing,
      tombstoneRetentionMs,
      logger,
      onLook: (now) => this.pruner.prune(this.view.store, now),
    });
    this.ownWrites = new OwnWrites({
      view: this.view,
      staging: () => this.reflector.staging !== undefined,
      reports: this.monitor,
      ordered,
      timeoutMs: timing.readYourWritesTimeoutMs,
      logger,
    });
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.readyPromise.catch(() => {});
  }

  /** The current view's store. Replaced wholesale by a resync. */
  get store(): ReplicaStore {
    return this.view.store;
  }

  /** The highest revision this replica has applied (or knows it holds everything up to). */
  get revision(): number {
    return this.view.revision;
  }

  /** Counters for status and metrics. */
  get counters(): ReplicaCounters {
    return this.view.counters;
  }

  /** The backend's revision at the last head check or sync, if known. */
  get backendRevision(): number | undefined {
    return this.monitor.backendRevision;
  }

  /** True once the initial sync completed (rule 8). */
  get isReady(): boolean {
    return this.view.ready;
  }

  /** The last problem seen (feed, head check), for status. */
  get lastError(): string | undefined {
    return this.monitor.lastError;
  }

  /** Sync state, as the monitor decides it. */
  get state(): ReplicaState {
    return this.monitor.state;
  }

  /** How long (ms) the oldest change not applied yet has been known to exist (0 when caught up). */
  get lagMs(): number {
    return this.monitor.lagMs;
  }

  /** Whether the replica reaches its backend (feed connection up, last head check answered). */
  get backendConnected(): boolean {
    return this.monitor.backendConnected;
  }

  /** Since when (ms epoch) the replica may be serving old data, or undefined while live. */
  get staleSince(): number | undefined {
    return this.monitor.staleSince;
  }

  /** Propagation delay of the latest live changes from the backend to this replica. */
  get propagation(): PropagationDelay {
    return this.propagationStats.delay;
  }

  /** Starts the initial sync and the monitor. */
  start(): void {
    this.reflector.start();
    this.monitor.start();
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

  /** Registers an own write about to be sent (see `OwnWrites.expect`); returns the function that forgets it. */
  expectOwnWrite(key: string, bytes: Uint8Array | null, decoded: unknown): () => void {
    return this.ownWrites.expect(key, bytes, decoded);
  }

  /** Rule 7: the backend acknowledged `entry`; resolves once this replica has applied it. */
  applyOwnWrite(entry: BackendEntry, decoded?: unknown): Promise<void> {
    return this.ownWrites.acknowledged(entry, decoded);
  }

  /** Resolves `true` when the replica has applied `revision` (outside a resync), `false` after `timeoutMs`. */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    return this.ownWrites.waitForRevision(revision, timeoutMs);
  }

  /** Something points at a problem (a write the backend did not answer): the monitor watches the head. */
  suspect(reason: string): void {
    this.monitor.suspect(reason);
  }

  /** One stall / lost-history check against the backend's head now (rules 9 and 10). */
  checkHead(): Promise<void> {
    return this.monitor.checkHead();
  }

  /**
   * A write met another history than the replica's (rule 4): the monitor reads the head — a changed epoch
   * starts a resync — and this resolves once the replica serves a synced view again, or after `timeoutMs`.
   */
  async catchUpWithHistory(timeoutMs: number): Promise<void> {
    await this.monitor.checkHead();
    await this.ownWrites.waitForRevision(0, timeoutMs);
  }

  /** Restarts the feed after the last applied revision, as a detected stall does (rule 9). */
  restartFeed(reason: string): void {
    this.monitor.requestRestart(reason);
  }

  /** Stops the feed and the monitor; pending waiters resolve, watchers end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.monitor.close();
    this.rejectReady(new ClosedError());
    this.ownWrites.close();
    this.hub.endAll();
    await this.reflector.close();
  }

  /** The feed synced and the view is served: readiness (rule 8) and read-your-writes waiters. */
  private published(): void {
    this.resolveReady();
    this.ownWrites.resolveWaiters();
  }
}
