// Propagation delay: live changes from the feed are measured from the backend's write time; snapshots are not.
import { describe, expect, it } from "vitest";
import { LatticeCache } from "./lattice-cache.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { PROPAGATION_SAMPLES } from "./replica.js";
import { storeRaw } from "./testing.js";
import { until } from "./until.test-helpers.js";

const FAST = {
  stallCheckIntervalMs: 50,
  stallTimeoutMs: 200,
  headTimeoutMs: 500,
  readYourWritesTimeoutMs: 2000,
};
const claim = (sub: string) => new TextEncoder().encode(JSON.stringify({ sub }));

async function openCache(store: MemoryStore): Promise<LatticeCache> {
  const cache = await LatticeCache.open({ backend: new MemoryBackend(store), timing: FAST });
  await cache.ready(5000);
  return cache;
}

describe("propagation delay", () => {
  it("the memory store stamps logged changes with their write time", () => {
    const store = new MemoryStore();
    const before = Date.now();
    storeRaw(store, "CLAIMS_M1", claim("M1"));
    const writtenAt = store.read("CLAIMS_M1")?.writtenAt;
    expect(writtenAt).toBeGreaterThanOrEqual(before);
    expect(writtenAt).toBeLessThanOrEqual(Date.now());
    expect(store.changeAt(1)?.writtenAt).toBe(writtenAt);
  });

  it("counts live changes from the feed, not the snapshot", async () => {
    const store = new MemoryStore();
    storeRaw(store, "CLAIMS_Mold", claim("Mold"));
    const reader = await openCache(store);
    expect(reader.status().propagation).toEqual({ samples: 0, p50Ms: undefined, p99Ms: undefined });

    for (const sub of ["M1", "M2", "M3"]) storeRaw(store, `CLAIMS_${sub}`, claim(sub));
    await reader.waitForRevision(store.revision, 5000);
    await until(() => reader.status().propagation.samples === 3, "three propagation samples");
    const { p50Ms, p99Ms } = reader.status().propagation;
    expect(p50Ms).toBeGreaterThanOrEqual(0);
    expect(p99Ms).toBeGreaterThanOrEqual(p50Ms as number);
    await reader.close();
  });

  it("another host's writes are measured; the ring keeps the last PROPAGATION_SAMPLES", async () => {
    const store = new MemoryStore();
    const [reader, writer] = await Promise.all([openCache(store), openCache(store)]);
    const total = PROPAGATION_SAMPLES + 20;
    for (let i = 0; i < total; i++) await writer.claims.put({ sub: `M${i}` });
    await reader.waitForRevision(store.revision, 5000);
    const status = reader.status().propagation;
    expect(status.samples).toBe(PROPAGATION_SAMPLES);
    expect(status.p50Ms).toBeGreaterThanOrEqual(0);
    // The writer's own writes applied on their acknowledgement did not propagate through the feed.
    expect(writer.status().propagation.samples).toBeLessThanOrEqual(total);
    await Promise.all([reader.close(), writer.close()]);
  });
});
