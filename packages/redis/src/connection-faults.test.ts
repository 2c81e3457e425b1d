// Rule 10 with a real redis-server behind a TCP fault proxy: fail fast, report the outage, catch up after.
import { BackendUnavailableError, LatticeCache, LatticeCacheError } from "@lattice-cache/core";
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
import { claimsValue, FeedLog, jsonBytes, uniquePrefix, until } from "./redis-test-support.test-helpers.js";

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
  return { partitioned, direct };
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
    partitioned.subscribe(0, log);
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

  it("silent partition (blackhole): writes fail within commandTimeoutMs; the feed notices and recovers", async () => {
    const { partitioned, direct } = await backendsBehindProxy({ commandTimeoutMs: 1000, feedBlockMs: 500 });
    const log = new FeedLog();
    partitioned.subscribe(0, log);
    await until("synced", () => log.heads.length === 1);

    proxy.setMode("blackhole");
    const { error, ms } = await failure(write(partitioned, "CLAIMS_A", { v: 1 }));
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(ms).toBeLessThan(8000);
    await until("feed reports the outage", () => log.connections.some((c) => !c.connected));
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
    backend.subscribe(0, log);
    await until("down reported", () => log.connections.some((c) => !c.connected));
    proxy.setMode("pass");
    await until("synced", () => log.heads.length === 1);
    expect(log.connections.at(-1)?.connected).toBe(true);
  });
});
