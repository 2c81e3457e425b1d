// compactLattice: one compaction at a time through a lease held by compare-and-swap on a reserved key, a
// record of the last run, dry runs that write nothing — and replicas that never notice the lease key.
// Only `Date` is faked: lease times and marker write times come from it.
// Rules cited here: docs/semantics.md#rule-4, #rule-6.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LatticeBackend } from "./backend.js";
import { compactLattice, DEFAULT_COMPACTION_LEASE_MS } from "./compact-lattice.js";
import { COMPACTION_LEASE_KEY, decodeCompactionLease, encodeCompactionLease } from "./compaction-lease.js";
import { LatticeCache } from "./lattice-cache.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const bytes = (text: string) => new TextEncoder().encode(text);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
const caches: LatticeCache[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

/** A store with one deleted key, its marker an hour old by the time this returns. */
function storeWithOldMarker(key = "CLAIMS_MOLD"): MemoryStore {
  const store = new MemoryStore();
  store.write({ key, value: bytes("{}"), origin: "test" });
  store.write({ key, value: null, origin: "test" });
  vi.setSystemTime(T0 + HOUR);
  return store;
}

const lease = (store: MemoryStore) => decodeCompactionLease(store.read(COMPACTION_LEASE_KEY));

describe("compactLattice", () => {
  it("rule 6: takes the lease, removes the due markers, records the run and releases", async () => {
    const store = storeWithOldMarker();
    const outcome = await compactLattice(new MemoryBackend(store), { olderThanMs: 1000, hostId: "h1" });
    expect(outcome.status).toBe("compacted");
    if (outcome.status !== "compacted") return;
    expect(outcome.report.removed.map((r) => r.key)).toEqual(["CLAIMS_MOLD"]);
    expect(store.read("CLAIMS_MOLD")).toBeUndefined();
    const now = new Date(T0 + HOUR).toISOString();
    expect(lease(store)).toEqual({ host: "h1", until: now, lastRun: now });
    // Taken, then released: two compare-and-swap writes of the lease key.
    expect(store.changesAfter(0).filter((c) => c.key === COMPACTION_LEASE_KEY)).toHaveLength(2);
  });

  it("one host at a time: of two concurrent compactions one runs, the other reports the holder", async () => {
    const store = storeWithOldMarker();
    const [a, b] = await Promise.all([
      compactLattice(new MemoryBackend(store), { olderThanMs: 1000, hostId: "h1" }),
      compactLattice(new MemoryBackend(store), { olderThanMs: 1000, hostId: "h2" }),
    ]);
    expect([a.status, b.status].sort()).toEqual(["compacted", "held"]);
    const held = a.status === "held" ? a : b;
    const ran = a.status === "compacted" ? "h1" : "h2";
    expect(held).toEqual({
      status: "held",
      holder: ran,
      until: new Date(T0 + HOUR + DEFAULT_COMPACTION_LEASE_MS).toISOString(),
    });
  });

  it("a lease another host holds is respected until it expires, then taken over", async () => {
    const store = storeWithOldMarker();
    const until = new Date(T0 + HOUR + 60_000).toISOString();
    store.write({
      key: COMPACTION_LEASE_KEY,
      value: encodeCompactionLease({ host: "crashed", until, lastRun: null }),
      origin: "crashed",
    });
    const backend = new MemoryBackend(store);
    expect(await compactLattice(backend, { olderThanMs: 1000, hostId: "h1" })).toEqual({
      status: "held",
      holder: "crashed",
      until,
    });
    expect(store.read("CLAIMS_MOLD")?.value).toBeNull();
    vi.setSystemTime(T0 + HOUR + 60_001);
    expect((await compactLattice(backend, { olderThanMs: 1000, hostId: "h1" })).status).toBe("compacted");
    expect(lease(store)?.host).toBe("h1");
  });

  it("with minIntervalMs, not due until the last recorded run is that old", async () => {
    const store = storeWithOldMarker();
    const backend = new MemoryBackend(store);
    const options = { olderThanMs: 1000, hostId: "h1", minIntervalMs: HOUR };
    expect((await compactLattice(backend, options)).status).toBe("compacted");
    vi.setSystemTime(T0 + HOUR + 10 * 60_000);
    expect(await compactLattice(backend, { ...options, hostId: "h2" })).toEqual({
      status: "not-due",
      lastRun: new Date(T0 + HOUR).toISOString(),
      nextDue: new Date(T0 + 2 * HOUR).toISOString(),
    });
    vi.setSystemTime(T0 + 2 * HOUR);
    expect((await compactLattice(backend, { ...options, hostId: "h2" })).status).toBe("compacted");
  });

  it("a dry run takes no lease and writes nothing", async () => {
    const store = storeWithOldMarker();
    const revision = store.revision;
    const outcome = await compactLattice(new MemoryBackend(store), {
      olderThanMs: 1000,
      hostId: "h1",
      dryRun: true,
    });
    expect(outcome.status === "compacted" && outcome.report.removed.map((r) => r.key)).toEqual([
      "CLAIMS_MOLD",
    ]);
    expect(store.revision).toBe(revision);
    expect(store.read("CLAIMS_MOLD")?.value).toBeNull();
  });

  it("a failed compaction releases the lease without recording a run", async () => {
    const store = storeWithOldMarker();
    const backend = new MemoryBackend(store);
    backend.compactTombstones = async () => {
      throw new Error("scan failed");
    };
    await expect(compactLattice(backend, { olderThanMs: 1000, hostId: "h1" })).rejects.toThrow("scan failed");
    expect(lease(store)).toEqual({ host: "h1", until: new Date(T0 + HOUR).toISOString(), lastRun: null });
  });

  it("a backend that cannot compact, or hold the lease, is refused with UNSUPPORTED; a bad olderThanMs with CONFIGURATION", async () => {
    const memory = new MemoryBackend(new MemoryStore());
    const without = (name: "compactTombstones" | "read"): LatticeBackend => {
      const backend = new MemoryBackend(new MemoryStore());
      Object.defineProperty(backend, name, { value: undefined });
      return backend;
    };
    for (const backend of [without("compactTombstones"), without("read")]) {
      await expect(compactLattice(backend, { olderThanMs: 1000, hostId: "h1" })).rejects.toMatchObject({
        code: "UNSUPPORTED",
      });
    }
    await expect(compactLattice(memory, { olderThanMs: 0, hostId: "h1" })).rejects.toMatchObject({
      code: "CONFIGURATION",
    });
  });

  it("replicas ignore the lease key: no event, no entry, the same digest; only the revision moves", async () => {
    vi.useRealTimers();
    const store = new MemoryStore();
    const cache = await LatticeCache.open({ backend: new MemoryBackend(store) });
    caches.push(cache);
    await cache.ready(5000);
    await cache.refmaps.put({ oci_url: "registry.example/kept:1", public_key: "MKEPT" });
    const events: string[] = [];
    cache.onChange((e) => events.push(e.key));
    const before = cache.status();
    await compactLattice(new MemoryBackend(store), { olderThanMs: 1000, hostId: "h1" });
    expect(await cache.waitForRevision(store.revision, 5000)).toBe(true);
    const after = cache.status();
    expect(events).toEqual([]);
    expect(after.digest).toBe(before.digest);
    expect(after.counts).toEqual(before.counts);
    expect(cache.refmaps.get("registry.example/kept:1")?.public_key).toBe("MKEPT");
  });
});
