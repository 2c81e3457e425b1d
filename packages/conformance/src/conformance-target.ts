// What an adapter hands the suite: a target that makes fresh stores, each with a backdoor to the raw data.
import type { BackendCapabilities, LatticeBackend, ReplicaTiming } from "@lattice-cache/core";

/**
 * Direct access to what a store really holds, bypassing the backend under test — so a backend cannot
 * pass by echoing its own writes (the next-auth adapter-suite idea).
 */
export interface ConformanceBackdoor {
  /** The raw stored entry: bytes (null = tombstone/delete marker) and revision as the backend stores it; undefined if never written (or purged away). */
  readRaw(key: string): Promise<{ value: Uint8Array | null; revision: number } | undefined>;
  /** Optional: make the store lose its history (bucket deleted+recreated, memory reset, FLUSHALL) — enables the rule-9 lost-history tests. */
  loseHistory?(): Promise<void>;
  /** Optional: cut every connection made by connect() off from the store (partition) / heal it — enables rule-10 tests. */
  disconnect?(): Promise<void>;
  /** Optional: heal the partition made by `disconnect()`. Required whenever `disconnect` is given. */
  reconnect?(): Promise<void>;
  /** Optional: make the next live feed deliveries silently vanish for the given backend (a stalled watch) — enables the stall test. */
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
  /** Replica timing for the suite's caches (backends with slow stall detection can widen it). Default: stallCheckIntervalMs 200, stallTimeoutMs 1000. */
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
  /** Which optional backdoor switches the store offers. */
  readonly backdoor: {
    /** `loseHistory` is present: the rule-9 lost-history test runs. */
    readonly loseHistory: boolean;
    /** `disconnect` and `reconnect` are present: the rule-10 tests run. */
    readonly disconnect: boolean;
    /** `stallFeed` is present: the rule-9 stall test runs. */
    readonly stallFeed: boolean;
  };
}
