// The redis plugin as a host sees it, against a real redis-server: the backend's options from the host's
// configuration (its `redis` section is the backend's own schema), where it connects, the lattices it lists,
// and its status channel — hosts answer on Redis pub/sub, only on reply channels of their lattice.
import type { Logger } from "@lattice-cache/core";
import { silentLogger } from "@lattice-cache/core/backend";
import {
  type HostStatusReport,
  type PluginHost,
  type StatusChannelContext,
  UNCOUNTED_REJECTIONS,
} from "@lattice-cache/plugin";
import { disposeAll, type RedisServerHandle, startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { uniquePrefix } from "../redis-test-support.test-helpers.js";
import {
  isRedisReplyChannel,
  type RedisConfig,
  RedisStatusBus,
  redisConfigSection,
  redisOptions,
  redisPlugin,
  redisStatusChannels,
  redisTarget,
} from "./index.js";

let server: RedisServerHandle;
const context: StatusChannelContext = {
  logger: silentLogger,
  rejections: UNCOUNTED_REJECTIONS,
  secret: undefined,
};
const host: PluginHost = { logger: silentLogger as Logger, statusChannel: () => context };

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await disposeAll();
});

/** A host's validated configuration with `redis` given as in a config file. */
function configOf(redis: unknown, host: Partial<RedisConfig> = {}): RedisConfig {
  const section = z.object(redisConfigSection.settings).parse(redis);
  return {
    backend: "redis",
    prefix: uniquePrefix("plugin"),
    createLattice: "auto",
    connectTimeoutMs: 5_000,
    status: {},
    redis: section,
    ...host,
  } as RedisConfig;
}

function report(hostId: string, prefix: string): HostStatusReport {
  return {
    hostId,
    backend: "redis",
    prefix,
    state: "live",
    ordered: true,
    revision: 3,
    backendRevision: 3,
    digest: "d".repeat(64),
    counts: { linkdefs: 1, claims: 1, refmaps: 1 },
    staleForMs: 0,
    version: "0.0.0-test",
    http: null,
  };
}

describe("the backend's options from the host's configuration", () => {
  it("are the section's values plus the host's prefix, deadline, logger and whether to create", () => {
    const config = configOf(
      { url: "rediss://cache:6380", username: "lattice", cluster: "10.0.0.1:7000,10.0.0.2:7000" },
      { prefix: "edge", createLattice: "never", connectTimeoutMs: 1_500 },
    );
    expect(redisOptions(config, host)).toMatchObject({
      url: "rediss://cache:6380",
      username: "lattice",
      tls: false,
      cluster: ["10.0.0.1:7000", "10.0.0.2:7000"],
      changeLogLength: 100_000,
      prefix: "edge",
      provision: "bind",
      connectTimeoutMs: 1_500,
      logger: silentLogger,
    });
    expect(redisPlugin.create(config, host).describe?.()).toMatchObject({ mode: "cluster", prefix: "edge" });
  });

  it("name the target without credentials", () => {
    expect(redisTarget(configOf({ url: "redis://user:hunter2@cache:6379" }))).toBe(
      "Redis at redis://user:***@cache:6379",
    );
    expect(redisTarget(configOf({ cluster: ["10.0.0.1:7000", "10.0.0.2:7000"] }))).toBe(
      "Redis Cluster at 10.0.0.1:7000,10.0.0.2:7000",
    );
    expect(redisTarget(configOf({ sentinel: { name: "m", sentinels: ["10.0.0.1:26379"] } }))).toBe(
      "Redis Sentinel master m via 10.0.0.1:26379",
    );
  });
});

describe("lattices", () => {
  it("lists a lattice once the backend created it", async () => {
    const config = configOf({ url: server.url });
    const backend = redisPlugin.create(config, host);
    await backend.open();
    await backend.close();
    expect(await redisPlugin.lattices?.(config, host)).toContain(config.prefix);
  });
});

describe("status channel", () => {
  it("a host answers a requester of its lattice on Redis pub/sub", async () => {
    const prefix = uniquePrefix("status");
    const config = configOf({ url: server.url }, { prefix, hostId: "answering" });
    const answering = redisPlugin.statusBus?.(config, host) as RedisStatusBus;
    const asking = new RedisStatusBus({ ...config, hostId: "asking" }, context);
    try {
      await answering.serve(() => report("answering", prefix));
      const gathered = await asking.gather(1_500);
      expect(gathered.reports.map((r) => [r.hostId, r.prefix, r.revision])).toEqual([
        ["answering", prefix, 3],
      ]);
    } finally {
      await Promise.all([answering.close(), asking.close()]);
    }
  });

  it("reply channels are those of the lattice, with a short id", () => {
    const { requests, replyPrefix } = redisStatusChannels("edge");
    expect([requests, replyPrefix]).toEqual(["{lattice:edge}:status", "{lattice:edge}:status-reply:"]);
    expect(isRedisReplyChannel(`${replyPrefix}a1B2_-`, replyPrefix)).toBe(true);
    for (const other of ["__keyspace@0__:victim", `${replyPrefix}a b`, `${replyPrefix}${"x".repeat(65)}`, 7])
      expect(isRedisReplyChannel(other, replyPrefix)).toBe(false);
  });
});
