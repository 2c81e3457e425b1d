// The one Redis client factory: what each setting becomes in ioredis options (no server needed: clients are lazy).
import { Cluster, Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisClient, type RedisClientRole } from "./redis-client-factory.js";

const clients: Array<Redis | Cluster> = [];
const role: RedisClientRole = { connectTimeoutMs: 1_000, reconnect: { baseMs: 500, maxMs: 10_000 } };

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function single(...args: Parameters<typeof createRedisClient>): Redis {
  const client = createRedisClient(...args);
  clients.push(client);
  expect(client).toBeInstanceOf(Redis);
  return client as Redis;
}

describe("createRedisClient", () => {
  it("explicit credentials win over the URL's; the URL's are used otherwise", () => {
    const url = "redis://urluser:url%20pass@127.0.0.1:6390/2";
    const explicit = single({ url, username: "u", password: "p" }, role);
    expect([explicit.options.username, explicit.options.password]).toEqual(["u", "p"]);
    expect([explicit.options.host, explicit.options.port, explicit.options.db]).toEqual([
      "127.0.0.1",
      6390,
      2,
    ]);
    const fromUrl = single({ url }, role);
    expect([fromUrl.options.username, fromUrl.options.password]).toEqual(["urluser", "url pass"]);
  });

  it("rediss:// turns TLS on, for a Sentinel too; the role names the connection", () => {
    expect(single({ url: "rediss://127.0.0.1:6390" }, role).options.tls).toBeTruthy();
    const sentinel = single(
      {
        url: "rediss://:pw@ignored:1",
        sentinel: { name: "m", sentinels: ["127.0.0.1:26390"] },
      },
      { ...role, name: "lattice-status:h" },
    );
    expect(sentinel.options.tls).toEqual({});
    expect(sentinel.options.password).toBe("pw");
    expect(sentinel.options.connectionName).toBe("lattice-status:h");
    expect(sentinel.options.sentinels).toEqual([{ host: "127.0.0.1", port: 26390 }]);
  });

  it("tls: true turns TLS on with defaults; node TLS options given to ioredis win", () => {
    expect(single({ tls: true }, role).options.tls).toEqual({});
    expect(single({}, role).options.tls).toBeUndefined();
    const ca = "-----BEGIN CERTIFICATE-----";
    expect(
      single({ url: "rediss://127.0.0.1:6390", redisOptions: { tls: { ca } } }, role).options.tls,
    ).toEqual({
      ca,
    });
  });

  it("refuses settings the backend would refuse, in the same words", () => {
    expect(() => createRedisClient({ url: "http://127.0.0.1" }, role)).toThrow(
      'redis.url URL "http://127.0.0.1" has scheme http; allowed values: redis://, rediss://',
    );
  });

  it("reconnects with the given backoff, or never; fails fast unless an offline queue is asked for", () => {
    const persistent = single({}, role);
    expect(persistent.options.retryStrategy?.(1)).toBeLessThanOrEqual(500);
    expect(persistent.options.retryStrategy?.(20)).toBe(10_000);
    expect(persistent.options).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    });
    const queued = single({}, { ...role, offlineQueue: true });
    expect(queued.options).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    const oneShot = single({}, { ...role, reconnect: false });
    expect(oneShot.options.retryStrategy?.(1)).toBeNull();
  });

  it("a Cluster gets the connection settings on every node and the reconnect policy for the cluster", () => {
    const client = createRedisClient(
      { url: "redis://user:pw@ignored:1", cluster: ["127.0.0.1:7000"] },
      { ...role, reconnect: false, socketTimeoutMs: 3_000 },
    );
    clients.push(client);
    expect(client).toBeInstanceOf(Cluster);
    const options = (client as Cluster).options;
    expect(options.clusterRetryStrategy?.(1)).toBeNull();
    expect(options.redisOptions).toMatchObject({ username: "user", password: "pw", socketTimeout: 3_000 });
  });

  it("reports connection errors to onError", () => {
    const seen: Error[] = [];
    const client = single({}, { ...role, onError: (error) => seen.push(error) });
    client.emit("error", new Error("boom"));
    expect(seen.map((e) => e.message)).toEqual(["boom"]);
  });
});
