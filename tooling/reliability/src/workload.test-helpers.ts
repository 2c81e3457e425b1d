// Concurrent writers for fault scenarios: every host runs a few loops of random puts, deletes and updates on
// a small shared key space (so hosts collide on keys), and every outcome is recorded — acknowledged writes
// with their revision, and writes whose outcome is unknown (BACKEND_UNAVAILABLE may or may not have landed).
import {
  claimsCodec,
  errorText,
  type LatticeCache,
  LatticeCacheError,
  linkdefsCodec,
  refmapsCodec,
} from "@lattice-cache/core";

/** A host taking part in a workload. */
export interface WorkloadHost {
  readonly name: string;
  readonly cache: LatticeCache;
}

/** A write the backend acknowledged. `text` is the canonical JSON of the stored value, `null` for a delete. */
export interface AckedWrite {
  readonly key: string;
  readonly revision: number;
  readonly text: string | null;
  /** When the write resolved (ms epoch). */
  readonly ackedAt: number;
  readonly host: string;
}

/** Counts of what a workload did. */
export interface WorkloadStats {
  readonly attempted: number;
  readonly acknowledged: number;
  /** Failed writes by error code. */
  readonly failed: Readonly<Record<string, number>>;
  /** The slowest failed write, in ms. */
  readonly maxFailureMs: number;
  /** The slowest acknowledged write, in ms. */
  readonly maxSuccessMs: number;
  /** Failures that are not allowed under any fault (wrong code, untyped error). */
  readonly unexpected: readonly string[];
  /** The same counts per host. */
  readonly byHost: Readonly<Record<string, HostStats>>;
}

/** What one host's write loops did. */
export interface HostStats {
  acknowledged: number;
  failed: number;
  /** The slowest failed write, in ms. */
  maxFailureMs: number;
}

/** Options of {@link Workload}. */
export interface WorkloadOptions {
  /** Concurrent write loops per host. Default 2. */
  readonly workersPerHost?: number;
  /** Pause between two writes of one loop, in ms. Default 150 (≈ 13 writes/s per host). */
  readonly pauseMs?: number;
  /** Seed of the operation choices (printed, so a run can be described). Default: random. */
  readonly seed?: number;
}

/** Error codes a write may fail with while a backend is faulty. Anything else is a bug. */
const EXPECTED_FAILURES = new Set(["BACKEND_UNAVAILABLE", "CONFLICT"]);

const CLAIM_KEYS = 30;
const LINK_KEYS = 12;
const REFMAP_KEYS = 20;

/** mulberry32: small, seedable, good enough to pick operations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The canonical JSON of a stored value's bytes, decoded by its collection's codec (as a replica would). */
export function canonicalText(key: string, bytes: Uint8Array): string {
  if (key.startsWith("LINKDEF_")) return JSON.stringify(linkdefsCodec.decode(bytes, key));
  if (key.startsWith("CLAIMS_")) return JSON.stringify(claimsCodec.decode(bytes, key));
  return JSON.stringify(refmapsCodec.decode(bytes, key));
}

/** Random concurrent writes from several hosts, with every outcome recorded. */
export class Workload {
  /** The seed in use. */
  readonly seed: number;
  private readonly random: () => number;
  private readonly acks = new Map<string, AckedWrite[]>();
  private readonly unknown = new Map<string, Set<string | null>>();
  private readonly touched = new Set<string>();
  private readonly failed: Record<string, number> = {};
  private readonly unexpected: string[] = [];
  private readonly byHost: Record<string, HostStats> = {};
  private attempted = 0;
  private acknowledged = 0;
  private maxFailureMs = 0;
  private maxSuccessMs = 0;
  private counter = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly ackWaiters = new Set<() => void>();

  constructor(
    private readonly hosts: readonly WorkloadHost[],
    private readonly options: WorkloadOptions = {},
  ) {
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.random = prng(this.seed);
  }

  /** Starts the write loops. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const workers = this.options.workersPerHost ?? 2;
    for (const host of this.hosts) {
      for (let i = 0; i < workers; i++) this.loops.push(this.loop(host));
    }
  }

  /** Stops the loops and waits for the writes in flight to settle. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Resolves once `count` more writes have been acknowledged (rejects after `timeoutMs`). */
  async waitForAcks(count: number, timeoutMs = 30_000): Promise<void> {
    const target = this.acknowledged + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged < target) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} acknowledged writes`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 250));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.ackWaiters.add(done);
      });
    }
  }

  /** Records a write made outside the loops (e.g. a marker written by a raw client). */
  recordAck(write: AckedWrite): void {
    this.touched.add(write.key);
    const list = this.acks.get(write.key) ?? [];
    list.push(write);
    this.acks.set(write.key, list);
    this.acknowledged += 1;
    for (const wake of [...this.ackWaiters]) {
      this.ackWaiters.delete(wake);
      wake();
    }
  }

  /** Records a write made outside the loops whose outcome is unknown (it timed out, it may have landed). */
  recordUnknown(key: string, text: string | null): void {
    this.touched.add(key);
    const set = this.unknown.get(key) ?? new Set<string | null>();
    set.add(text);
    this.unknown.set(key, set);
  }

  /** Every storage key a write was attempted on. */
  keys(): string[] {
    return [...this.touched].sort();
  }

  /**
   * Per key, the acknowledged write with the highest revision — only among writes acknowledged at or after
   * `since` when given (a backend that lost its history numbers revisions from 1 again).
   */
  latestAcknowledged(since = 0): Map<string, AckedWrite> {
    const out = new Map<string, AckedWrite>();
    for (const [key, list] of this.acks) {
      for (const write of list) {
        if (write.ackedAt < since) continue;
        const best = out.get(key);
        if (best === undefined || write.revision > best.revision) out.set(key, write);
      }
    }
    return out;
  }

  /** Every acknowledged write to `key`, in the order they were acknowledged. */
  acknowledgedWrites(key: string): readonly AckedWrite[] {
    return this.acks.get(key) ?? [];
  }

  /** Values (canonical JSON, `null` = delete) of writes to `key` whose outcome is unknown. */
  unknownOutcomes(key: string): ReadonlySet<string | null> {
    return this.unknown.get(key) ?? new Set();
  }

  /** Counts so far. */
  stats(): WorkloadStats {
    return {
      attempted: this.attempted,
      acknowledged: this.acknowledged,
      failed: { ...this.failed },
      maxFailureMs: this.maxFailureMs,
      maxSuccessMs: this.maxSuccessMs,
      unexpected: [...this.unexpected],
      byHost: Object.fromEntries(Object.entries(this.byHost).map(([name, h]) => [name, { ...h }])),
    };
  }

  private async loop(host: WorkloadHost): Promise<void> {
    while (this.running) {
      await this.writeOnce(host);
      await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 150));
    }
  }

  private pick(n: number): number {
    return Math.floor(this.random() * n);
  }

  private async writeOnce(host: WorkloadHost): Promise<void> {
    const { cache } = host;
    const n = ++this.counter;
    const roll = this.random();
    let key: string;
    let intended: string | null;
    let run: () => Promise<{ revision: number; text: string | null }>;
    if (roll < 0.35) {
      const value = cache.claims.normalize({
        sub: `MCHAOS${this.pick(CLAIM_KEYS)}`,
        name: `${host.name}-${n}`,
        version: `0.${n}.0`,
        tags: ["chaos", host.name],
      });
      key = cache.claims.keyOf(value.sub);
      intended = JSON.stringify(value);
      run = async () => ({ revision: (await cache.claims.put(value)).revision, text: intended });
    } else if (roll < 0.45) {
      const sub = `MCHAOS${this.pick(CLAIM_KEYS)}`;
      key = cache.claims.keyOf(sub);
      intended = null;
      run = async () => ({ revision: (await cache.claims.delete(sub)).revision, text: null });
    } else if (roll < 0.7) {
      const ref = { actor_id: `MCHAOSACTOR${this.pick(LINK_KEYS)}`, contract_id: "wasmcloud:chaos" };
      key = cache.linkdefs.keyOf(ref);
      intended = null;
      let last: string | null = null;
      run = async () => {
        try {
          const outcome = await cache.linkdefs.update(ref, (current) => {
            const count = Number(current?.values["count"] ?? "0") + 1;
            const next = cache.linkdefs.normalize({
              ...ref,
              provider_id: "VCHAOSPROVIDER",
              values: { count: String(count), by: host.name },
            });
            last = JSON.stringify(next);
            return next;
          });
          return { revision: outcome.revision, text: JSON.stringify(outcome.value) };
        } finally {
          intended = last;
        }
      };
    } else if (roll < 0.75) {
      const ref = { actor_id: `MCHAOSACTOR${this.pick(LINK_KEYS)}`, contract_id: "wasmcloud:chaos" };
      key = cache.linkdefs.keyOf(ref);
      intended = null;
      run = async () => ({ revision: (await cache.linkdefs.delete(ref)).revision, text: null });
    } else if (roll < 0.95) {
      const value = cache.refmaps.normalize({
        oci_url: `registry.local/chaos/app${this.pick(REFMAP_KEYS)}:v1`,
        public_key: `MCHAOSPK${host.name.toUpperCase()}${n}`,
      });
      key = cache.refmaps.keyOf(value.oci_url);
      intended = JSON.stringify(value);
      run = async () => ({ revision: (await cache.refmaps.put(value)).revision, text: intended });
    } else {
      const url = `registry.local/chaos/app${this.pick(REFMAP_KEYS)}:v1`;
      key = cache.refmaps.keyOf(url);
      intended = null;
      run = async () => ({ revision: (await cache.refmaps.delete(url)).revision, text: null });
    }
    this.touched.add(key);
    this.attempted += 1;
    const mine = this.byHost[host.name] ?? { acknowledged: 0, failed: 0, maxFailureMs: 0 };
    this.byHost[host.name] = mine;
    const started = Date.now();
    try {
      const { revision, text } = await run();
      this.maxSuccessMs = Math.max(this.maxSuccessMs, Date.now() - started);
      mine.acknowledged += 1;
      this.recordAck({ key, revision, text, ackedAt: Date.now(), host: host.name });
    } catch (error) {
      this.maxFailureMs = Math.max(this.maxFailureMs, Date.now() - started);
      mine.failed += 1;
      mine.maxFailureMs = Math.max(mine.maxFailureMs, Date.now() - started);
      const code = LatticeCacheError.isInstance(error) ? error.code : "UNTYPED";
      this.failed[code] = (this.failed[code] ?? 0) + 1;
      if (!EXPECTED_FAILURES.has(code)) {
        // A typed error's text starts with its code.
        this.unexpected.push(
          `${host.name} ${key}: ${code === "UNTYPED" ? "UNTYPED " : ""}${errorText(error)}`,
        );
      }
      // A conflict wrote nothing; anything else may have landed (its acknowledgement may just be lost).
      if (code !== "CONFLICT") this.recordUnknown(key, intended);
    }
  }
}
