// What an idle host costs a Redis server: one blocking XREAD per `feedBlockMs` (its answer proves the
// connection), and a head read with a history proof only on the slow audit interval — not after every
// blocking read, and not from the replica every second. Counted by the server itself (INFO commandstats).
// Rules cited here: docs/semantics.md#rule-9.
import { LatticeCache } from "@lattice-cache/core";
import { disposeAll, startRedisServer } from "@lattice-cache/test-harness";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import { claimsValue, uniquePrefix } from "./redis-test-support.test-helpers.js";

afterAll(async () => {
  await disposeAll();
});

/** Calls per command since the last `CONFIG RESETSTAT`, from the server's own statistics. */
async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const info = await admin.info("commandstats");
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

describe("rule 9: an idle replica on Redis costs one blocking read per wait, nothing per second besides", () => {
  it("over 3 s idle with a 500 ms blocking read: about six XREADs, and no head script after each of them", async () => {
    const server = await startRedisServer();
    const admin = new Redis(server.url);
    try {
      const backend = new RedisBackend({ url: server.url, prefix: uniquePrefix("idle"), feedBlockMs: 500 });
      const cache = await LatticeCache.open({ backend, hostId: "idle" });
      await cache.ready(20_000);
      await cache.claims.put(claimsValue("MIDLE"));
      // Let the feed settle into following (its first idle audit comes at once).
      await new Promise((r) => setTimeout(r, 1000));
      await admin.config("RESETSTAT");
      await new Promise((r) => setTimeout(r, 3000));
      const calls = await commandCalls(admin);
      await cache.close();
      const xreads = calls.get("xread") ?? 0;
      const scripts = (calls.get("evalsha") ?? 0) + (calls.get("eval") ?? 0);
      const ranges = calls.get("xrange") ?? 0;
      expect(xreads).toBeGreaterThanOrEqual(2);
      expect(xreads).toBeLessThanOrEqual(8);
      // Before: a head script and a proof read after every blocking read (about six of each here).
      expect(scripts + ranges).toBeLessThanOrEqual(2);
    } finally {
      admin.disconnect();
    }
  });
});
