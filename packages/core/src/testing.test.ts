import { afterEach, describe, expect, it } from "vitest";
import { refmapKey } from "./keys.js";
import { LatticeCache } from "./lattice-cache.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { corruptReplica } from "./testing.js";

const caches: LatticeCache[] = [];

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

async function open(store: MemoryStore): Promise<LatticeCache> {
  const cache = await LatticeCache.open({ backend: new MemoryBackend(store) });
  caches.push(cache);
  await cache.ready(5000);
  return cache;
}

describe("@lattice-cache/core/testing", () => {
  it("corruptReplica changes one replica's value and digest, not its revision nor the other replicas", async () => {
    const store = new MemoryStore();
    const [a, b] = [await open(store), await open(store)];
    const { revision } = await a.refmaps.put({ oci_url: "ghcr.io/acme/a:1", public_key: "MA" });
    expect(await b.waitForRevision(revision, 5000)).toBe(true);
    const before = a.status();
    expect(b.status().digest).toBe(before.digest);

    expect(corruptReplica(a, refmapKey("ghcr.io/acme/a:1"), { nope: true })).toBe(true);
    const after = a.status();
    expect(after.revision).toBe(before.revision);
    expect(after.digest).not.toBe(before.digest);
    expect(b.status().digest).toBe(before.digest);
    expect(a.refmaps.get("ghcr.io/acme/a:1")).toEqual({ nope: true });
  });

  it("corruptReplica refuses a key that is not live", async () => {
    const cache = await open(new MemoryStore());
    const digest = cache.status().digest;
    expect(corruptReplica(cache, refmapKey("ghcr.io/acme/none:1"), {})).toBe(false);
    expect(cache.status().digest).toBe(digest);
  });
});
