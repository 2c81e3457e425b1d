// A replica drops tombstones older than the retention (ReplicaStore.pruneTombstones): cheap, silent, the
// digest unchanged — and a pruned key still never comes back from a replayed older change.
// Rules cited here: docs/semantics.md#rule-4, #rule-6.
import { afterEach, describe, expect, it } from "vitest";
import type { BackendEntry } from "./backend.js";
import { refmapKey } from "./keys.js";
import { LatticeCache } from "./lattice-cache.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { ReplicaStore } from "./replica-store.js";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const key = (name: string) => refmapKey(`registry.example/${name}:1`);
const put = (name: string, revision: number): BackendEntry => ({
  key: key(name),
  value: bytes({ oci_url: `registry.example/${name}:1`, public_key: `M${name.toUpperCase()}` }),
  revision,
});
const del = (name: string, revision: number, writtenAt?: number): BackendEntry => ({
  key: key(name),
  value: null,
  revision,
  ...(writtenAt === undefined ? {} : { writtenAt }),
});

const caches: LatticeCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

describe("ReplicaStore.pruneTombstones", () => {
  it("rule 6: drops only tombstones written before the cutoff, emits nothing and keeps the digest", () => {
    const store = new ReplicaStore();
    store.apply(put("old", 1));
    store.apply(put("young", 2));
    store.apply(put("live", 3));
    store.apply(del("old", 4, 1_000));
    store.apply(del("young", 5, 9_000));
    const digest = store.digest();

    expect(store.pruneTombstones(5_000)).toBe(1);
    expect(store.revisionOf(key("old"))).toBeUndefined();
    expect(store.revisionOf(key("young"))).toBe(5);
    expect(store.isDeleted(key("young"))).toBe(true);
    expect(store.get(key("live"))?.revision).toBe(3);
    expect(store.digest()).toBe(digest);
    expect(store.maxRevision).toBe(5);
    expect(store.pruneTombstones(5_000)).toBe(0);
  });

  it("rule 6: a replayed put older than a pruned tombstone does not bring the key back; a newer one does", () => {
    const store = new ReplicaStore();
    store.apply(put("gone", 1));
    store.apply(del("gone", 2, 1_000));
    store.pruneTombstones(5_000);
    expect(store.apply(put("gone", 1)).kind).toBe("ignored");
    expect(store.get(key("gone"))).toBeUndefined();
    expect(store.apply(put("gone", 3)).kind).toBe("changed");
    expect(store.get(key("gone"))?.revision).toBe(3);
  });

  it("a tombstone without a backend write time counts from when the replica applied it", () => {
    const store = new ReplicaStore();
    const before = Date.now();
    store.apply(del("untimed", 1));
    expect(store.pruneTombstones(before - 1)).toBe(0);
    expect(store.pruneTombstones(Date.now() + 1)).toBe(1);
  });
});

describe("a pruned tombstone through the cache", () => {
  it("rule 4: a conditional create (expectedRevision 0) and update() build on a pruned key", async () => {
    const cache = await LatticeCache.open({ backend: new MemoryBackend(new MemoryStore()) });
    caches.push(cache);
    await cache.ready(5000);
    const ref = { oci_url: "registry.example/pruned:1", public_key: "MFIRST" };
    await cache.refmaps.put(ref);
    const deleted = await cache.refmaps.delete(ref.oci_url);
    expect(cache.status().tombstones).toBe(1);
    const digest = cache.status().digest;

    expect(cache["replica"].store.pruneTombstones(Date.now() + 1)).toBe(1);
    expect(cache.status().tombstones).toBe(0);
    expect(cache.status().digest).toBe(digest);

    const created = await cache.refmaps.put({ ...ref, public_key: "MAGAIN" }, { expectedRevision: 0 });
    expect(created.revision).toBeGreaterThan(deleted.revision);
    const updated = await cache.refmaps.update(ref.oci_url, (current) =>
      current ? { ...current, public_key: "MTHIRD" } : undefined,
    );
    expect(updated.written).toBe(true);
    expect(cache.refmaps.get(ref.oci_url)?.public_key).toBe("MTHIRD");
  });
});
