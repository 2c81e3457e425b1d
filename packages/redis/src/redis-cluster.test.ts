// Redis Cluster (3 masters on loopback): one lattice lives in one slot, and replicas on separate cluster
// connections converge under concurrent writes (rule 2), conditional writes and updates (rules 4, 5) — our
// own checks plus the conformance suite.
// Rules cited here: docs/semantics.md#rule-2, #rule-4, #rule-5.
import { runConformanceSuite } from "@lattice-cache/conformance";
import { LatticeCache } from "@lattice-cache/core";
import { ConflictError } from "@lattice-cache/core/backend";
import { disposeAll, type RedisClusterHandle, startRedisCluster } from "@lattice-cache/test-harness";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import { clusterTarget } from "./redis-conformance-target.test-helpers.js";
import {
  claimsValue,
  FeedLog,
  jsonBytes,
  RawLattice,
  uniquePrefix,
  until,
} from "./redis-test-support.test-helpers.js";

// Started at module top level: the conformance tests are chosen from a probe of the target at collection.
const cluster: RedisClusterHandle = await startRedisCluster({ masters: 3 });
const closers: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await disposeAll();
});

function clusterBackend(prefix: string): RedisBackend {
  // One seed node is enough: the client discovers the others.
  const backend = new RedisBackend({
    cluster: [cluster.urls[0] as string],
    prefix,
    maxReconnectDelayMs: 200,
  });
  closers.push(() => backend.close());
  return backend;
}

describe("Redis Cluster: one slot per lattice", () => {
  it("every key of a lattice hashes to the same slot, and the slot's owner holds them", async () => {
    const prefix = uniquePrefix("cl");
    const backend = clusterBackend(prefix);
    await backend.open();
    await backend.write({ key: "CLAIMS_M1", value: jsonBytes({ v: 1 }), origin: "h" });
    const raw = RawLattice.connect({ clusterUrls: cluster.urls }, prefix);
    closers.push(() => raw.close());
    const k = backend.keys;
    const slots = await Promise.all(
      [k.entries, k.revision, k.epoch, k.changes].map((key) =>
        cluster.nodes[0]?.command("CLUSTER", "KEYSLOT", key),
      ),
    );
    expect(new Set(slots).size).toBe(1);
    expect((await raw.readRaw("CLAIMS_M1"))?.revision).toBe(1);
    expect(backend.describe()).toMatchObject({ mode: "cluster" });
  });

  it("the feed snapshots and follows through the cluster", async () => {
    const backend = clusterBackend(uniquePrefix("cl"));
    await backend.open();
    await backend.write({ key: "CLAIMS_M1", value: jsonBytes({ v: 1 }), origin: "h" });
    const log = new FeedLog();
    backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    await backend.write({ key: "CLAIMS_M1", value: null, origin: "h" });
    await until("live tombstone", () => log.entries.some((e) => e.revision === 2 && e.value === null));
  });
});

describe("rule 2: convergence on a Redis Cluster", () => {
  it("three replicas on separate cluster connections converge under concurrent puts, deletes, CAS writes and updates", async () => {
    const prefix = uniquePrefix("cl");
    const caches: LatticeCache[] = [];
    for (let i = 0; i < 3; i++) {
      const cache = await LatticeCache.open({ backend: clusterBackend(prefix), hostId: `host-${i}` });
      closers.push(() => cache.close());
      caches.push(cache);
    }
    await Promise.all(caches.map((c) => c.ready(30_000)));
    const subs = Array.from({ length: 12 }, (_, i) => `MC${i}`);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const ops = Array.from({ length: 240 }, (_, i) => async () => {
      const cache = caches[i % 3] as LatticeCache;
      const sub = subs[Math.floor(random() * subs.length)] as string;
      const roll = random();
      try {
        if (roll < 0.45) await cache.claims.put(claimsValue(sub, `n${i}`));
        else if (roll < 0.6) await cache.claims.delete(sub);
        else if (roll < 0.75) {
          const current = cache.claims.getEntry(sub);
          await cache.claims.put(claimsValue(sub, `cas${i}`), { expectedRevision: current?.revision ?? 0 });
        } else {
          await cache.claims.update(sub, (c) => ({
            ...(c ?? claimsValue(sub)),
            tags: `${c?.tags ? `${c.tags},` : ""}t${i}`,
          }));
        }
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    });
    // Four workers run the ops concurrently.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < ops.length) await (ops[next++] as () => Promise<void>)();
      }),
    );
    const head = await (caches[0] as LatticeCache).backend.head();
    await until(
      "every replica applied the backend's last revision",
      () => caches.every((c) => c.status().revision >= head.revision),
      30_000,
    );
    const digests = new Set(caches.map((c) => c.status().digest));
    expect(digests.size).toBe(1);
    const raw = RawLattice.connect({ clusterUrls: cluster.urls }, prefix);
    closers.push(() => raw.close());
    const stored = await raw.readAll();
    for (const cache of caches) {
      for (const [key, rec] of stored) {
        const entry = cache.claims.entryByKey(key);
        if (rec.value === null) expect(entry).toBeUndefined();
        else expect(entry?.revision).toBe(rec.revision);
      }
      expect(cache.claims.size).toBe([...stored.values()].filter((r) => r.value !== null).length);
    }
  });
});

// The whole suite on the cluster, each backend reaching every node through fault proxies of its own (mapped
// from the nodes' own addresses). Fewer property runs keep the file quick.
runConformanceSuite(
  { describe, it },
  clusterTarget(() => cluster),
  { propertyRuns: 10 },
);
