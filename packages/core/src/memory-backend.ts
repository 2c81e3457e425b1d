// The in-memory reference backend: ordered, CAS-capable, shareable by several replicas in one process. Its
// feed is core's log feed over the store's change log, like any log-keeping backend. Its fault switches
// (partition, one cut connection, lost or rewritten history, foreign bytes, a stalled watch) are for tests
// only and live behind `@lattice-cache/core/testing` (memory-faults.ts), not on these classes.
// Rules cited here: docs/semantics.md#rule-4.
import { randomUUID } from "node:crypto";
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendEntry,
  type BackendHead,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  type LatticeBackend,
  type WriteRequest,
  type WriteResult,
} from "./backend.js";
import { type CompactionReport, type CompactionRequest, CompactionScan } from "./compaction.js";
import { casAccepts, comparableRevision, historyAccepts } from "./conflict-rules.js";
import type { DeliveredChange } from "./delivery-print.js";
import { BackendUnavailableError, ClosedError, ConflictError } from "./errors.js";
import type { LogHead, LogSignals, LogTransport } from "./log-feed.js";
import { LogFeeds } from "./log-feeds.js";
import { silentLogger } from "./logger.js";

type Listener = {
  /** Something was written. */
  changed(): void;
  connection(connected: boolean): void;
};

/**
 * The shared state behind memory backends: what a server would hold. Create one and give it to several
 * `MemoryBackend`s to simulate several hosts on one lattice.
 */
export class MemoryStore {
  // Not readonly: a test's fault switches (memory-faults.ts) replace them, as a lost or restored history does.
  private entries = new Map<string, BackendEntry>();
  /**
   * Every change of the current history; `log[i]` has revision `i + 1` — undefined where a compaction removed
   * a delete marker (a feed reading across it jumps, and ends in a gap).
   */
  private log: (BackendEntry | undefined)[] = [];
  private epochId = randomUUID();
  private readonly listeners = new Set<Listener>();
  private up = true;

  /** The latest revision. */
  get revision(): number {
    return this.log.length;
  }

  /** The id of the current history. */
  get epoch(): string {
    return this.epochId;
  }

  /** False during a partition (a test's `disconnectStore`). */
  get reachable(): boolean {
    return this.up;
  }

  /** Raw read (the conformance backdoor): the stored bytes and revision, tombstones as `value: null`. */
  read(key: string): BackendEntry | undefined {
    return this.entries.get(key);
  }

  /** Every stored entry (tombstones included), the latest per key, in revision order. */
  snapshot(afterRevision = 0): BackendEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.revision > afterRevision)
      .sort((a, b) => a.revision - b.revision);
  }

  /** Up to `limit` logged changes after `afterRevision`, in order (revisions a compaction removed skipped). */
  changesAfter(afterRevision: number, limit = Number.POSITIVE_INFINITY): BackendEntry[] {
    const changes: BackendEntry[] = [];
    for (let i = Math.max(0, afterRevision); i < this.log.length && changes.length < limit; i++) {
      const entry = this.log[i];
      if (entry !== undefined) changes.push(entry);
    }
    return changes;
  }

  /** The logged change at `revision`, if the current history has one. */
  changeAt(revision: number): BackendEntry | undefined {
    return revision >= 1 ? this.log[revision - 1] : undefined;
  }

  /** Applies one write atomically (rule 4 check, revision bump, store, notify). */
  write(request: WriteRequest): BackendEntry {
    if (!this.up) throw new BackendUnavailableError("memory", "the memory store is disconnected");
    const current = this.entries.get(request.key);
    const state = current && { revision: current.revision, deleted: current.value === null };
    if (!historyAccepts(request.expectedRevision, request.expectedEpoch, this.epochId)) {
      throw new ConflictError({
        key: request.key,
        expectedRevision: request.expectedRevision ?? 0,
        currentRevision: comparableRevision(state),
        otherHistory: true,
      });
    }
    if (request.expectedRevision !== undefined && !casAccepts(request.expectedRevision, state)) {
      throw new ConflictError({
        key: request.key,
        expectedRevision: request.expectedRevision,
        currentRevision: comparableRevision(state),
      });
    }
    return this.append(request.key, request.value, request.origin);
  }

  /**
   * Removes the delete markers the scan finds due — each the latest change of its key — from the entries and
   * the change log (unless it is a dry run), and reports them.
   */
  compactTombstones(scan: CompactionScan): void {
    for (const entry of [...this.entries.values()]) {
      scan.scanned();
      if (entry.value !== null || !scan.due(entry.writtenAt ?? 0)) continue;
      if (!scan.dryRun) {
        this.entries.delete(entry.key);
        this.log[entry.revision - 1] = undefined;
      }
      scan.removed(entry.key, entry.revision, entry.writtenAt ?? 0);
    }
  }

  /** @internal */
  addListener(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private append(key: string, value: Uint8Array | null, origin: string | undefined): BackendEntry {
    const entry: BackendEntry = {
      key,
      value: value === null ? null : value.slice(),
      revision: this.log.length + 1,
      ...(origin === undefined ? {} : { origin }),
      writtenAt: Date.now(),
    };
    this.log.push(entry);
    this.entries.set(key, entry);
    for (const l of this.listeners) l.changed();
    return entry;
  }
}

/** Options of `MemoryBackend`. */
export interface MemoryBackendOptions {
  /** How long a live read waits before its feed checks the head (a lost history). Default 1000 ms. */
  readonly feedWaitMs?: number;
  /** How often a feed audits the store's head and its history proof (`followLog`). Default 30 s ± 20 %. */
  readonly auditIntervalMs?: number;
}

/**
 * One connection to a `MemoryStore`. Ordered, compare-and-swap, history, pushed; not durable (it is memory).
 * Feed deliveries are asynchronous, like a network.
 */
export class MemoryBackend implements LatticeBackend {
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  readonly name = "memory";
  readonly capabilities: BackendCapabilities = {
    ordered: true,
    durable: false,
    compareAndSwap: true,
    history: true,
    ttl: false,
    pushed: true,
    // loseHistory() starts the store's revisions over at 1.
    revisionsRestart: true,
  };
  private closed = false;
  /** While true, live feed reads hang without a word (a stalled watch: a test's `stallFeed`). */
  private stalled = false;
  private cut = false;
  private readonly feedWaitMs: number;
  private readonly auditIntervalMs: number | undefined;
  private readonly feeds = new LogFeeds();
  private readonly cutListeners = new Set<(cut: boolean) => void>();

  /** @param store - the shared state; a fresh one when omitted. */
  constructor(
    readonly store: MemoryStore = new MemoryStore(),
    options: MemoryBackendOptions = {},
  ) {
    this.feedWaitMs = options.feedWaitMs ?? 1000;
    this.auditIntervalMs = options.auditIntervalMs;
  }

  /** True while this connection can reach the store. */
  get reachable(): boolean {
    return this.store.reachable && !this.cut && !this.closed;
  }

  async open(): Promise<void> {
    if (this.closed) throw new ClosedError("the memory backend");
  }

  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    return this.feeds.follow({
      from,
      sink,
      store: "the memory store",
      logger: silentLogger,
      waitMs: this.feedWaitMs,
      ...(this.auditIntervalMs === undefined ? {} : { auditIntervalMs: this.auditIntervalMs }),
      retry: { baseMs: 20, maxMs: 500, jitter: 0.5 },
      transport: (signals) => new MemoryLog(this, signals, () => this.stalled),
    });
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    this.check();
    const entry = this.store.write(request);
    return { revision: entry.revision };
  }

  async head(): Promise<BackendHead> {
    this.check();
    return { revision: this.store.revision, epoch: this.store.epoch };
  }

  async read(key: string): Promise<BackendEntry | undefined> {
    await tick();
    this.check();
    return this.store.read(key);
  }

  /** Removes the store's due delete markers from its entries and change log (see `LatticeBackend`). */
  async compactTombstones(request: CompactionRequest): Promise<CompactionReport> {
    const scan = new CompactionScan(request);
    await tick();
    this.check();
    this.store.compactTombstones(scan);
    return scan.report();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.feeds.close();
  }

  describe(): Readonly<Record<string, unknown>> {
    return { store: "memory", revision: this.store.revision };
  }

  /** @internal Throws when this connection cannot reach the store. */
  check(): void {
    if (this.closed) throw new ClosedError("the memory backend");
    if (!this.reachable) throw new BackendUnavailableError("memory", "the memory store is not reachable");
  }

  /** @internal Follows this connection being cut and restored. */
  onCut(listener: (cut: boolean) => void): () => void {
    this.cutListeners.add(listener);
    return () => this.cutListeners.delete(listener);
  }
}

/** The memory store's log as a feed transport. */
class MemoryLog implements LogTransport {
  private closed = false;
  private readonly wakers = new Set<() => void>();
  private readonly unlisten: () => void;
  private readonly unlistenCut: () => void;

  constructor(
    private readonly backend: MemoryBackend,
    signals: LogSignals,
    private readonly stalled: () => boolean,
  ) {
    const store = backend.store;
    this.unlisten = store.addListener({
      changed: () => this.wakeAll(),
      connection: (up) => {
        signals.connection(
          up,
          up ? "the memory store is reachable again" : "the memory store is disconnected",
        );
        this.wakeAll();
      },
    });
    this.unlistenCut = backend.onCut((cut) => {
      signals.connection(!cut, cut ? "the connection was cut" : "the connection is back");
      this.wakeAll();
    });
  }

  async connect(): Promise<void> {
    this.backend.check();
  }

  async head(): Promise<LogHead> {
    await tick();
    this.backend.check();
    return { revision: this.backend.store.revision, epoch: this.backend.store.epoch };
  }

  async snapshot(deliver: (change: DeliveredChange) => void): Promise<BackendHead> {
    await tick();
    const store = this.backend.store;
    this.backend.check();
    const head = { revision: store.revision, epoch: store.epoch };
    for (const entry of store.snapshot()) {
      // A connection cut mid-snapshot ends the snapshot there, as a dropped socket would.
      this.backend.check();
      deliver(entry);
    }
    return head;
  }

  async read(after: number, limit: number, waitMs: number): Promise<readonly BackendEntry[]> {
    await tick();
    this.backend.check();
    let changes = this.backend.store.changesAfter(after, limit);
    if (changes.length === 0 && waitMs > 0) {
      // Waits for a change to read, not for the revision to move: a compacted marker at the end of the log
      // moved it with nothing left to read there.
      const store = this.backend.store;
      await this.until(() => store.changesAfter(after, 1).length > 0 || !this.backend.reachable, waitMs);
      this.backend.check();
      changes = this.backend.store.changesAfter(after, limit);
    }
    // A stalled live read never answers (a silent watch); only closing the feed ends it.
    if (this.stalled() && waitMs > 0) await this.until(() => false, Number.POSITIVE_INFINITY);
    return changes;
  }

  async readAt(revisions: readonly number[]): Promise<readonly (DeliveredChange | undefined)[]> {
    await tick();
    this.backend.check();
    return revisions.map((revision) => this.backend.store.changeAt(revision));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    this.unlistenCut();
    this.wakeAll();
  }

  /** Waits until `done()`, `ms` passed, or the transport closed. */
  private until(done: () => boolean, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.wakers.delete(check);
        resolve();
      };
      const check = () => {
        if (this.closed || done()) finish();
      };
      const timer = Number.isFinite(ms) ? setTimeout(finish, ms) : undefined;
      this.wakers.add(check);
      check();
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

/** A network's worth of asynchrony: the caller's current task finishes first. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
