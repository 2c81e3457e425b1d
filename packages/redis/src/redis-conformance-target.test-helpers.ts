// Conformance targets for the Redis backend: a fresh lattice prefix per store, raw reads through an admin
// connection (the backdoor), lost history by deleting the lattice's keys, partitions through a fault proxy.
import type { ConformanceStore, ConformanceTarget } from "@lattice-cache/conformance";
import type { RedisClusterHandle, RedisServerHandle } from "@lattice-cache/test-harness";
import { startFaultProxy } from "@lattice-cache/test-harness";
import { RedisBackend } from "./redis-backend.js";
import { RawLattice, uniquePrefix } from "./redis-test-support.test-helpers.js";

/** Short reconnect and idle-check intervals so tests heal quickly. */
const TEST_TUNING = { maxReconnectDelayMs: 200, feedBlockMs: 1000 } as const;

function backdoorOf(raw: RawLattice) {
  return {
    readRaw: async (key: string) => {
      const record = await raw.readRaw(key);
      return record && { value: record.value, revision: record.revision };
    },
    // What a restart without persistence (or FLUSHALL) does to this lattice.
    loseHistory: () => raw.loseHistory(),
  };
}

/** One redis-server; every backend of a store connects through the store's fault proxy. */
export function standaloneTarget(server: () => RedisServerHandle): ConformanceTarget {
  return {
    name: "redis",
    async newStore(): Promise<ConformanceStore> {
      const s = server();
      const prefix = uniquePrefix("conf");
      const proxy = await startFaultProxy({ target: { port: s.port } });
      const raw = RawLattice.connect({ url: s.url }, prefix);
      return {
        connect: () => new RedisBackend({ url: proxy.url("redis"), prefix, ...TEST_TUNING }),
        backdoor: {
          ...backdoorOf(raw),
          disconnect: async () => proxy.setMode("drop"),
          reconnect: async () => proxy.setMode("pass"),
        },
        dispose: async () => {
          await proxy.close();
          await raw.loseHistory();
          raw.close();
        },
      };
    },
  };
}

/** A Redis Cluster; backends reach it through one seed node and discover the rest. */
export function clusterTarget(cluster: () => RedisClusterHandle): ConformanceTarget {
  return {
    name: "redis-cluster",
    async newStore(): Promise<ConformanceStore> {
      const c = cluster();
      const prefix = uniquePrefix("conf");
      const raw = RawLattice.connect({ clusterUrls: c.urls }, prefix);
      return {
        connect: () =>
          new RedisBackend({ cluster: { nodes: [c.urls[0] as string] }, prefix, ...TEST_TUNING }),
        backdoor: backdoorOf(raw),
        dispose: async () => {
          await raw.loseHistory();
          raw.close();
        },
      };
    },
  };
}
