// The in-memory reference backend: ordered, CAS-capable, shareable by several replicas in one process,
// with fault switches (disconnect, lose history) for tests.
import { randomUUID } from "node:crypto";
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendEntry,
  type BackendHead,
  type FeedSink,
  type FeedSubscription,
  type LatticeBackend,
  type WriteRequest,
  type WriteResult,
} from "./backend.js";
import { casAccepts, comparableRevision } from "./conflict-rules.js";
import { BackendUnavailableError, ClosedError, ConflictError } from "./errors.js";

type Listener = {
  entry(entry: BackendEntry): void;
  connection(connected: boolean): void;
};

/**
 * The shared state behind memory backends: what a server would hold. Create one and give it to several
 * `MemoryBackend`s to simulate several hosts on one lattice.
 */
export class MemoryStore {
  private entries = new Map<string, BackendEntry>();
  private revisionCounter = 0;
  private epochId = randomUUID();
  private readonly listeners = new Set<Listener>();
  private up = true;

  /** The latest revision. */
  get revision(): number {
    return this.revisionCounter;
  }

  /** The id of the current history. */
  get epoch(): string {
    return this.epochId;
  }

  /** False while `disconnect()` is in force. */
  get reachable(): boolean {
    return this.up;
  }

  /** Raw read (the conformance backdoor): the stored bytes and revision, tombstones as `value: null`. */
  read(key: string): BackendEntry | undefined {
    return this.entries.get(key);
  }

  /** Every stored entry (tombstones included) in revision order. */
  snapshot(afterRevision = 0): BackendEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.revision > afterRevision)
      .sort((a, b) => a.revision - b.revision);
  }

  /** Applies one write atomically (rule 4 check, revision bump, store, notify). */
  write(request: WriteRequest): BackendEntry {
    if (!this.up) throw new BackendUnavailableError("memory", "the memory store is disconnected");
    const current = this.entries.get(request.key);
    const state = current && { revision: current.revision, deleted: current.value === null };
    if (request.expectedRevision !== undefined && !casAccepts(request.expectedRevision, state)) {
      throw new ConflictError({
        key: request.key,
        expectedRevision: request.expectedRevision,
        currentRevision: comparableRevision(state),
      });
    }
    this.revisionCounter += 1;
    const entry: BackendEntry = {
      key: request.key,
      value: request.value === null ? null : request.value.slice(),
      revision: this.revisionCounter,
      origin: request.origin,
    };
    this.entries.set(request.key, entry);
    for (const l of this.listeners) l.entry(entry);
    return entry;
  }

  /** Simulates a partition: writes and head checks fail, feeds report disconnection and deliver nothing. */
  disconnect(): void {
    if (!this.up) return;
    this.up = false;
    for (const l of this.listeners) l.connection(false);
  }

  /** Ends the partition; feeds report reconnection (and must be caught up by the replica's head check). */
  reconnect(): void {
    if (this.up) return;
    this.up = true;
    for (const l of this.listeners) l.connection(true);
  }

  /** Simulates a restart without persistence: everything is gone, revisions restart at 0, a new epoch. */
  loseHistory(): void {
    this.entries = new Map();
    this.revisionCounter = 0;
    this.epochId = randomUUID();
  }

  /** @internal */
  addListener(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Options of `MemoryBackend`. */
export interface MemoryBackendOptions {
  /** Drop live feed deliveries (not writes) while true: simulates a silently stalled watch. Default false. */
  readonly stallFeed?: boolean;
}

/**
 * One connection to a `MemoryStore`. Ordered, compare-and-swap, history; not durable (it is memory).
 * Feed deliveries are asynchronous (a microtask later), like a network.
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
  };
  /** While true, live feed entries are silently dropped (a stalled watch, for tests). */
  stallFeed: boolean;
  private closed = false;
  private readonly subscriptions = new Set<() => void>();

  /** @param store - the shared state; a fresh one when omitted. */
  constructor(
    readonly store: MemoryStore = new MemoryStore(),
    options: MemoryBackendOptions = {},
  ) {
    this.stallFeed = options.stallFeed ?? false;
  }

  async open(): Promise<void> {
    if (this.closed) throw new ClosedError("the memory backend");
  }

  subscribe(afterRevision: number, sink: FeedSink): FeedSubscription {
    let active = true;
    let replaying = true;
    const pending: BackendEntry[] = [];
    const remove = this.store.addListener({
      entry: (e) => {
        if (!active || !this.store.reachable) return;
        if (replaying) pending.push(e);
        else if (!this.stallFeed) queueMicrotask(() => active && sink.entry(e));
      },
      connection: (up) => queueMicrotask(() => active && sink.connection(up)),
    });
    queueMicrotask(() => {
      if (!active) return;
      const head: BackendHead = { revision: this.store.revision, epoch: this.store.epoch };
      for (const e of this.store.snapshot(afterRevision)) sink.entry(e);
      sink.synced(head);
      replaying = false;
      for (const e of pending) if (e.revision > head.revision) sink.entry(e);
      pending.length = 0;
    });
    const stop = () => {
      active = false;
      remove();
    };
    this.subscriptions.add(stop);
    return {
      close: async () => {
        stop();
        this.subscriptions.delete(stop);
      },
    };
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    if (this.closed) throw new ClosedError("the memory backend");
    const entry = this.store.write(request);
    return { revision: entry.revision };
  }

  async head(): Promise<BackendHead> {
    if (!this.store.reachable)
      throw new BackendUnavailableError("memory", "the memory store is disconnected");
    return { revision: this.store.revision, epoch: this.store.epoch };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const stop of this.subscriptions) stop();
    this.subscriptions.clear();
  }

  describe(): Readonly<Record<string, unknown>> {
    return { store: "memory", revision: this.store.revision };
  }
}
