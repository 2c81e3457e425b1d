// Rule 9 and durability across real redis-server restarts: without persistence every replica resyncs to
// the new (empty) history; with AOF (appendfsync always) nothing acknowledged is lost and nothing resyncs.
// Rules cited here: docs/semantics.md#rule-9.
import { LatticeCache } from "@lattice-cache/core";
import { disposeAll, startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import { claimsValue, RawLattice, uniquePrefix, until } from "./redis-test-support.test-helpers.js";

const closers: Array<() => Promise<void> | void> = [];
const TIMING = { stallCheckIntervalMs: 200, stallTimeoutMs: 1000 };

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await disposeAll();
});

async function openCaches(
  url: string,
  prefix: string,
  count: number,
  durable = false,
): Promise<LatticeCache[]> {
  const caches: LatticeCache[] = [];
  for (let i = 0; i < count; i++) {
    const backend = new RedisBackend({ url, prefix, durable, maxReconnectDelayMs: 200 });
    const cache = await LatticeCache.open({ backend, hostId: `host-${i}`, timing: TIMING });
    closers.push(() => cache.close());
    await cache.ready(20_000);
    caches.push(cache);
  }
  return caches;
}

/** The subs of live claims in a cache, sorted. */
const subsOf = (cache: LatticeCache) =>
  cache.claims
    .list()
    .map((c) => c.sub)
    .sort();

/** Retries a write until the backend accepts it (the server is coming back). */
async function putWhenBack(cache: LatticeCache, sub: string): Promise<void> {
  await until(`write of ${sub} accepted`, () => cache.claims.put(claimsValue(sub)).then(() => true), 30_000);
}

describe("rule 9: a restart without persistence loses history; every replica resyncs", () => {
  it("replicas resync (counters.resyncs), return to live, and hold exactly the new server state", async () => {
    const server = await startRedisServer();
    const prefix = uniquePrefix("restart");
    const raw = RawLattice.connect({ url: server.url }, prefix);
    closers.push(() => raw.close());
    const caches = await openCaches(server.url, prefix, 3);
    const [a, b] = caches as [LatticeCache, LatticeCache, LatticeCache];
    for (const sub of ["MOLD1", "MOLD2", "MOLD3"]) await a.claims.put(claimsValue(sub));
    await b.claims.delete("MOLD3");
    await until("all replicas hold the old state", () =>
      caches.every((c) => subsOf(c).join() === "MOLD1,MOLD2"),
    );
    const before = caches.map((c) => c.status().counters.resyncs);

    await server.restart();
    await putWhenBack(b, "MNEW1");
    await putWhenBack(a, "MNEW2");

    await until(
      "every replica resynced to the new history and is live",
      () => caches.every((c) => c.status().state === "live" && subsOf(c).join() === "MNEW1,MNEW2"),
      30_000,
    );
    for (const [i, c] of caches.entries())
      expect(c.status().counters.resyncs).toBeGreaterThan(before[i] as number);
    const stored = await raw.readAll();
    expect([...stored.keys()].sort()).toEqual(["CLAIMS_MNEW1", "CLAIMS_MNEW2"]);
    const digests = new Set(caches.map((c) => c.status().digest));
    expect(digests.size).toBe(1);
    for (const c of caches) {
      for (const [key, rec] of stored) expect(c.claims.entryByKey(key)?.revision).toBe(rec.revision);
    }
  });
});

describe("durability: a restart with AOF (appendfsync always) loses nothing acknowledged", () => {
  it("every acknowledged write survives kill -9 and restart; replicas catch up without a resync", async () => {
    const server = await startRedisServer({ appendonly: true, extraConfig: "appendfsync always" });
    const prefix = uniquePrefix("aof");
    const caches = await openCaches(server.url, prefix, 2, true);
    const [a, b] = caches as [LatticeCache, LatticeCache];
    expect(a.status().capabilities.durable).toBe(true);
    const acknowledged = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const { key, revision } = await a.claims.put(claimsValue(`MK${i}`));
        acknowledged.set(key, revision);
      }),
    );
    await b.claims.delete("MK0");

    await server.kill("SIGKILL");
    await server.restart();

    const raw = RawLattice.connect({ url: server.url }, prefix);
    closers.push(() => raw.close());
    const stored = await raw.readAll();
    for (const [key, revision] of acknowledged) {
      const rec = stored.get(key);
      if (key === "CLAIMS_MK0") expect(rec?.value).toBeNull();
      else expect(rec?.revision).toBe(revision);
    }
    await putWhenBack(b, "MAFTER");
    await until(
      "both replicas live with 60 claims",
      () => caches.every((c) => c.status().state === "live" && c.claims.size === 60),
      30_000,
    );
    for (const c of caches) expect(c.status().counters.resyncs).toBe(0);
    expect(a.status().digest).toBe(b.status().digest);
  });
});
