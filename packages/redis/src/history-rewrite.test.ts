// A history rewritten under the same epoch (rules 7 and 9): the lattice's keys are restored from a backup
// taken before revisions a replica already applied, and another host's writes reuse those revisions — the
// epoch key came back with the backup and the revision counter passes the replica's position again, so
// neither reveals it. A resuming feed reads its last delivered revisions back from the change log, finds
// another change there, and the replica resyncs.
// Rules cited here: docs/semantics.md#rule-7, #rule-9.
import { LatticeCache } from "@lattice-cache/core";
import {
  disposeAll,
  type FaultProxyHandle,
  type RedisServerHandle,
  startFaultProxy,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import { claimsValue, RawLattice, uniquePrefix, until } from "./redis-test-support.test-helpers.js";

let server: RedisServerHandle;
let proxy: FaultProxyHandle;
const closers: Array<() => Promise<void> | void> = [];
const TIMING = { stallCheckIntervalMs: 200, stallTimeoutMs: 1000 };

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startFaultProxy({ target: { port: server.port } });
});

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await proxy?.close();
  await disposeAll();
});

async function openCache(url: string, prefix: string, hostId: string): Promise<LatticeCache> {
  const backend = new RedisBackend({ url, prefix, maxReconnectDelayMs: 200 });
  const cache = await LatticeCache.open({ backend, hostId, timing: TIMING });
  closers.push(() => cache.close());
  await cache.ready(20_000);
  return cache;
}

const subsOf = (cache: LatticeCache) =>
  cache.claims
    .list()
    .map((c) => c.sub)
    .sort();

describe("a lattice history rewritten under the same epoch (keys restored from a backup, then written)", () => {
  it("rule 9: the resuming feed notices the reused revisions and the replica resyncs to the server's state", async () => {
    const prefix = uniquePrefix("rewrite");
    const raw = RawLattice.connect({ url: server.url }, prefix);
    closers.push(() => raw.close());
    const cache = await openCache(proxy.url("redis"), prefix, "host");
    for (let i = 1; i <= 5; i++) await cache.claims.put(claimsValue(`MKEPT${i}`));
    const restore = await raw.checkpoint();
    for (let i = 1; i <= 3; i++) await cache.claims.put(claimsValue(`MGONE${i}`));
    await until("the host applied revision 8", () => cache.status().revision === 8);
    const epoch = await raw.admin.get(raw.keys.epoch);
    const resyncsBefore = cache.status().counters.resyncs;

    // Cut off, the host misses the restore and another host's writes of revisions 6–9.
    proxy.setMode("drop");
    await until("the host noticed the outage", () => cache.status().state !== "live");
    await restore();
    const other = await openCache(server.url, prefix, "other");
    for (let i = 1; i <= 4; i++) await other.claims.put(claimsValue(`MNEW${i}`));
    expect(await raw.admin.get(raw.keys.epoch)).toBe(epoch);
    expect(await raw.revision()).toBe(9);

    proxy.setMode("pass");
    await until(
      "the replica resynced to the restored and rewritten lattice",
      () =>
        cache.status().state === "live" &&
        cache.status().revision === 9 &&
        JSON.stringify(subsOf(cache)) === JSON.stringify(subsOf(other)),
      30_000,
    );
    expect(subsOf(cache)).toEqual([
      "MKEPT1",
      "MKEPT2",
      "MKEPT3",
      "MKEPT4",
      "MKEPT5",
      "MNEW1",
      "MNEW2",
      "MNEW3",
      "MNEW4",
    ]);
    expect(cache.status().counters.resyncs).toBeGreaterThan(resyncsBefore);
    expect(cache.status().digest).toBe(other.status().digest);
  }, 60_000);
});
