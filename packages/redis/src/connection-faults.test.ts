// Rule 10 with a real redis-server behind a TCP fault proxy: fail fast, report the outage, catch up after.
// Rules cited here: docs/semantics.md#rule-9, #rule-10.
import { LatticeCache } from "@lattice-cache/core";
import { type BackendEntry, BackendUnavailableError, LatticeCacheError } from "@lattice-cache/core/backend";
import {
  disposeAll,
  type FaultProxyHandle,
  freePort,
  type RedisServerHandle,
  startFaultProxy,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import type { RedisBackendOptions } from "./redis-backend-options.js";
import {
  claimsValue,
  FeedLog,
  jsonBytes,
  RawLattice,
  uniquePrefix,
  until,
} from "./redis-test-support.test-helpers.js";

let server: RedisServerHandle;
let proxy: FaultProxyHandle;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  proxy?.setMode("pass");
  await Promise.all(closers.splice(0).map((close) => close()));
});

afterAll(async () => {
  await disposeAll();
});

async function backendsBehindProxy(options: RedisBackendOptions = {}) {
  proxy = await startFaultProxy({ target: { port: server.port } });
  closers.push(() => proxy.close());
  const prefix = uniquePrefix();
  const make = (url: string) => {
    const b = new RedisBackend({ url, prefix, maxReconnectDelayMs: 200, ...options });
    closers.push(() => b.close());
    return b;
  };
  const partitioned = make(proxy.url("redis"));
  const direct = make(server.url);
  await partitioned.open();
  await direct.open();
  return { partitioned, direct, prefix };
}

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const start = Date.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - start };
}

const write = (b: RedisBackend, key: string, v: unknown) =>
  b.write({ key, value: jsonBytes(v), origin: "h" });

describe("rule 10: availability while Redis is unreachable", () => {
  it("connections dropped: writes fail at once with BackendUnavailableError; the feed reports down, then up, and catches up", async () => {
    const { partitioned, direct } = await backendsBehindProxy();
    const log = new FeedLog();
    partitioned.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);

    proxy.setMode("drop");
    await until("feed reports the outage", () => log.connections.some((c) => !c.connected));
    const { error, ms } = await failure(write(partitioned, "CLAIMS_A", { v: 1 }));
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(ms).toBeLessThan(2000);
    await expect(partitioned.head()).rejects.toSatisfy((e) =>
      LatticeCacheError.hasCode(e, "BACKEND_UNAVAILABLE"),
    );
    const during = await write(direct, "CLAIMS_B", { v: 1 });

    proxy.setMode("pass");
    await until("feed reports it is back", () => log.connections.at(-1)?.connected === true);
    await until("feed delivers what was written during the outage", () => log.maxRevision >= during.revision);
    await until(
      "writes work again",
      async () => (await write(partitioned, "CLAIMS_A", { v: 2 }).then(() => true)) === true,
    );
    expect(log.gaps).toEqual([]);
  });

  it("silent partition (blackhole): writes, head() and the feed fail within commandTimeoutMs; all recover", async () => {
    const commandTimeoutMs = 1000;
    const feedBlockMs = 500;
    const { partitioned, direct } = await backendsBehindProxy({ commandTimeoutMs, feedBlockMs });
    const log = new FeedLog();
    partitioned.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);

    proxy.setMode("blackhole");
    const cutAt = Date.now();
    const [written, head] = await Promise.all([
      failure(write(partitioned, "CLAIMS_A", { v: 1 })),
      failure(partitioned.head()),
    ]);
    for (const { error, ms } of [written, head]) {
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect(ms).toBeGreaterThanOrEqual(commandTimeoutMs - 50); // nothing answered: the timeout decided
      expect(ms).toBeLessThan(commandTimeoutMs + 3000);
    }
    // The feed's blocking read may legitimately wait feedBlockMs; then the same timeout applies.
    await until("feed reports the outage", () => log.connections.some((c) => !c.connected));
    expect(Date.now() - cutAt).toBeLessThan(feedBlockMs + commandTimeoutMs + 3000);
    // Still blackholed: the next attempts fail too, and no later than the timeout.
    const again = await failure(partitioned.head());
    expect(again.error).toBeInstanceOf(BackendUnavailableError);
    expect(again.ms).toBeLessThan(commandTimeoutMs + 3000);
    const during = await write(direct, "CLAIMS_B", { v: 1 });

    proxy.setMode("pass");
    await until(
      "feed delivers what was written during the outage",
      () => log.maxRevision >= during.revision,
      30_000,
    );
    await until(
      "writes work again",
      async () => (await write(partitioned, "CLAIMS_A", { v: 2 }).then(() => true)) === true,
      30_000,
    );
  });

  it("a cache keeps answering reads while stale, and is live again after the partition heals", async () => {
    const { partitioned, direct } = await backendsBehindProxy();
    const cache = await LatticeCache.open({
      backend: partitioned,
      timing: { stallCheckIntervalMs: 200, stallTimeoutMs: 1000 },
    });
    closers.push(() => cache.close());
    await cache.ready(20_000);
    await cache.claims.put(claimsValue("MAAA"));
    proxy.setMode("drop");
    await until("stale", () => cache.status().state === "stale");
    expect(cache.claims.get("MAAA")?.sub).toBe("MAAA");
    await expect(cache.claims.put(claimsValue("MBBB"))).rejects.toBeInstanceOf(BackendUnavailableError);
    await direct.write({ key: "CLAIMS_MCCC", value: jsonBytes(claimsValue("MCCC")), origin: "other" });
    proxy.setMode("pass");
    await until(
      "live with the write made elsewhere",
      () => cache.status().state === "live" && cache.claims.get("MCCC") !== undefined,
    );
  });
});

describe("rule 9: a snapshot interrupted while the lattice is recreated", () => {
  it("a chunked (HSCAN) snapshot cut mid-way, retried in a new history: a gap, never a mix of two histories", async () => {
    const { partitioned, direct, prefix } = await backendsBehindProxy({ snapshotInlineLimit: 10 });
    const raw = RawLattice.connect({ url: server.url }, prefix);
    closers.push(async () => raw.close());
    // More than one HSCAN chunk (COUNT 1000), so the cut lands between chunks.
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => write(direct, `CLAIMS_OLD${batch * 500 + i}`, { i })),
      );
    }
    let fault: Promise<void> | undefined;
    const log = new (class extends FeedLog {
      override entry(entry: BackendEntry): void {
        super.entry(entry);
        if (fault !== undefined) return;
        proxy.setMode("drop"); // now, in the middle of the snapshot
        fault = (async () => {
          await raw.loseHistory();
          await write(direct, "CLAIMS_NEW", { v: 1 });
          proxy.setMode("pass");
        })();
      }
    })();
    partitioned.subscribe({ revision: 0 }, log);
    await until("gap", () => log.gaps.length === 1);
    await fault;
    expect(log.gaps[0]).toMatch(/history changed/);
    expect(log.heads).toEqual([]);
    expect(log.entries.length).toBeLessThan(2500);
    expect(log.entries.some((e) => e.key === "CLAIMS_NEW")).toBe(false);
  });
});

describe("opening and subscribing without a server", () => {
  it("open() fails with BackendUnavailableError after connectTimeoutMs when nothing listens", async () => {
    const port = await freePort();
    const backend = new RedisBackend({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 800 });
    const { error, ms } = await failure(backend.open());
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(ms).toBeGreaterThanOrEqual(700);
    await backend.close();
  });

  it("a feed started while Redis is unreachable reports down, then syncs once it is reachable", async () => {
    proxy = await startFaultProxy({ target: { port: server.port } });
    closers.push(() => proxy.close());
    proxy.setMode("drop");
    const backend = new RedisBackend({
      url: proxy.url("redis"),
      prefix: uniquePrefix(),
      maxReconnectDelayMs: 200,
    });
    closers.push(() => backend.close());
    const log = new FeedLog();
    backend.subscribe({ revision: 0 }, log);
    await until("down reported", () => log.connections.some((c) => !c.connected));
    proxy.setMode("pass");
    await until("synced", () => log.heads.length === 1);
    expect(log.connections.at(-1)?.connected).toBe(true);
  });
});
