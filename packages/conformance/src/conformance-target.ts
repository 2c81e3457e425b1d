// What an adapter hands the suite: a target that makes fresh stores, each with a backdoor to the raw data.
import type { ReplicaTiming } from "@lattice-cache/core";
import type { BackendCapabilities, LatticeBackend } from "@lattice-cache/core/backend";

/**
 * Direct access to what a store really holds, bypassing the backend under test — so a backend cannot
 * pass by echoing its own writes (the next-auth adapter-suite idea).
 */
export interface ConformanceBackdoor {
  /** The raw stored entry: bytes (null = tombstone/delete marker) and revision as the backend stores it; undefined if never written (or purged away). */
  readRaw(key: string): Promise<{ value: Uint8Array | null; revision: number } | undefined>;
  /**
   * Optional: make the store lose its history (bucket deleted+recreated, memory reset, FLUSHALL): a new
   * epoch, and revisions that restart or continue as the backend's `revisionsRestart` capability says —
   * enables the rule-9 lost-history tests, and with `interruptFeed` the store recreated during a snapshot.
   */
  loseHistory?(): Promise<void>;
  /**
   * Optional: take a backup of the store now; the returned function restores it under the SAME epoch (as
   * restoring an RDB file or a stream backup does), so later writes reuse revisions with other values —
   * enables the rule-9 rewritten-history tests.
   */
  checkpoint?(): Promise<() => Promise<void>>;
  /**
   * Optional: store `value` under `key` as another writer would (an old host, an operator's tool), bypassing
   * this project's backends: no origin, no validation — enables the rule-11 invalid-over-valid tests.
   * Resolves with the revision the store assigned.
   */
  storeRaw?(key: string, value: Uint8Array | null): Promise<number>;
  /**
   * Optional: cut (`true`) or restore (`false`) the connections of ONE backend made by connect(), as a dropped
   * connection does; the store and every other backend are untouched. The cut takes effect before the
   * returned promise's first await, so a feed sink can call it mid-delivery — enables the snapshot tests.
   */
  interruptFeed?(backend: LatticeBackend, cut: boolean): Promise<void>;
  /** Optional: cut every connection made by connect() off from the store (partition) / heal it — enables rule-10 tests. */
  disconnect?(): Promise<void>;
  /** Optional: heal the partition made by `disconnect()`. Required whenever `disconnect` is given. */
  reconnect?(): Promise<void>;
  /**
   * Optional: a silent partition: every connection made by connect() stays open but nothing crosses it in
   * either direction (a blackhole, as a dead route or a paused server looks) until `reconnect()` — enables
   * the rule-10 client-timeout tests. Requires `reconnect`.
   */
  blackhole?(): Promise<void>;
  /**
   * Optional: make the next live feed deliveries silently vanish for the given backend (a stalled watch) —
   * enables the stall test. `FeedStall` of this package does it for any backend class.
   */
  stallFeed?(backend: LatticeBackend, stalled: boolean): Promise<void>;
}

/** One fresh, isolated store (a bucket, a key prefix, a `MemoryStore`) and the means to reach it. */
export interface ConformanceStore {
  /** A NEW, unopened backend (a separate host/connection) on this store. */
  connect(): LatticeBackend | Promise<LatticeBackend>;
  /** Raw access to the store's data and fault switches. */
  readonly backdoor: ConformanceBackdoor;
  /** Releases the store (delete bucket/keys, close admin connections). */
  dispose(): Promise<void>;
}

/** The backend under test, as the suite sees it. */
export interface ConformanceTarget {
  /** Shown in test names, e.g. `jetstream`. */
  readonly name: string;
  /** Called once per test: a fresh, empty, isolated store. */
  newStore(): Promise<ConformanceStore>;
  /** Replica timing for the suite's caches (backends with slow stall detection can widen it). Default: stallCheckIntervalMs 200, idleCheckIntervalMs 1000, stallTimeoutMs 1000. */
  readonly timing?: Partial<ReplicaTiming>;
}

/**
 * The test runner's registration functions, injected so the suite works with any runner. The suite
 * registers its tests inside an `async` describe callback (it probes a store first), so the runner must
 * await describe callbacks — vitest and `node:test` do.
 */
export interface TestApi {
  /** Groups tests; `describe` of vitest or `node:test`. */
  describe: (name: string, fn: () => void) => void;
  /** Registers one test with an optional timeout in ms; `it` of vitest or `node:test`. */
  it: (name: string, fn: () => Promise<void> | void, timeoutMs?: number) => void;
}

/** What the suite found out about a target before registering tests: they decide which tests apply. */
export interface TargetFeatures {
  /** The capabilities a freshly connected backend declares. */
  readonly capabilities: BackendCapabilities;
  /**
   * The backend can compact tombstones (`compactTombstones`, `read` and compare-and-swap; core's
   * `compactionUnsupported`): the rule-6 compaction tests run; without, `compactLattice` must refuse.
   */
  readonly compaction: boolean;
  /** Which optional backdoor switches the store offers. */
  readonly backdoor: {
    /** `loseHistory` is present: the rule-9 lost-history test runs. */
    readonly loseHistory: boolean;
    /** `checkpoint` is present: the rule-9 rewritten-history tests run. */
    readonly checkpoint: boolean;
    /** `storeRaw` is present: the rule-11 foreign-writer tests run. */
    readonly storeRaw: boolean;
    /** `interruptFeed` is present: the snapshot-interruption tests run (with `loseHistory`, the recreated store). */
    readonly interruptFeed: boolean;
    /** `disconnect` and `reconnect` are present: the rule-10 tests run. */
    readonly disconnect: boolean;
    /** `blackhole` and `reconnect` are present: the rule-10 silent-partition tests run. */
    readonly blackhole: boolean;
    /** `stallFeed` is present: the rule-9 stall test runs. */
    readonly stallFeed: boolean;
  };
}
