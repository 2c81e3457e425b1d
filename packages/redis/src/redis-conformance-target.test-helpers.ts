// Conformance targets for the Redis backend (one server, or a cluster): a fresh lattice prefix per store; raw
// reads, foreign writes, backups and lost history through an admin connection (the backdoor); partitions and
// cut connections through fault proxies of each backend's own.
import type { ConformanceBackdoor, ConformanceStore, ConformanceTarget } from "@lattice-cache/conformance";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import {
  type FaultProxyHandle,
  type RedisClusterHandle,
  type RedisServerHandle,
  StoreProxies,
} from "@lattice-cache/test-harness";
import { RedisBackend } from "./redis-backend.js";
import { RawLattice, uniquePrefix } from "./redis-test-support.test-helpers.js";

/** Short reconnect, idle-check and silence intervals so tests heal (and notice a blackhole) quickly. */
const TEST_TUNING = { maxReconnectDelayMs: 200, feedBlockMs: 1000, commandTimeoutMs: 2000 } as const;

/** What the admin connection gives every Redis store, cluster or not. */
function adminBackdoor(raw: RawLattice): ConformanceBackdoor {
  return {
    readRaw: async (key) => {
      const record = await raw.readRaw(key);
      return record && { value: record.value, revision: record.revision };
    },
    // What a restart without persistence (or FLUSHALL) does to this lattice.
    loseHistory: () => raw.loseHistory(),
    checkpoint: () => raw.checkpoint(),
    storeRaw: (key, value) => raw.storeRaw(key, value),
  };
}

/** One redis-server; every backend of a store connects through its own fault proxy. */
export function standaloneTarget(server: () => RedisServerHandle): ConformanceTarget {
  return {
    name: "redis",
    async newStore(): Promise<ConformanceStore> {
      const s = server();
      const prefix = uniquePrefix("conf");
      const proxies = new StoreProxies<LatticeBackend>([s.port]);
      const raw = RawLattice.connect({ url: s.url }, prefix);
      return {
        connect: () =>
          proxies.connect(
            ([proxy]) =>
              new RedisBackend({ url: (proxy as FaultProxyHandle).url("redis"), prefix, ...TEST_TUNING }),
          ),
        backdoor: { ...adminBackdoor(raw), ...proxies.faultSwitches() },
        dispose: async () => {
          await proxies.close();
          await raw.loseHistory();
          raw.close();
        },
      };
    },
  };
}

/**
 * A Redis Cluster; every backend reaches each node through a fault proxy of its own: the nodes announce
 * their real addresses, which the client maps to its proxies (ioredis `natMap`).
 */
export function clusterTarget(cluster: () => RedisClusterHandle): ConformanceTarget {
  return {
    name: "redis-cluster",
    async newStore(): Promise<ConformanceStore> {
      const c = cluster();
      const prefix = uniquePrefix("conf");
      const proxies = new StoreProxies<LatticeBackend>(c.nodes.map((node) => node.port));
      const raw = RawLattice.connect({ clusterUrls: c.urls }, prefix);
      return {
        connect: () =>
          proxies.connect((nodeProxies) => {
            const natMap = Object.fromEntries(
              c.nodes.map((node, i) => [
                `127.0.0.1:${node.port}`,
                { host: "127.0.0.1", port: (nodeProxies[i] as FaultProxyHandle).port },
              ]),
            );
            return new RedisBackend({
              cluster: [(nodeProxies[0] as FaultProxyHandle).url("redis")],
              clusterOptions: { natMap },
              prefix,
              ...TEST_TUNING,
            });
          }),
        backdoor: { ...adminBackdoor(raw), ...proxies.faultSwitches() },
        dispose: async () => {
          await proxies.close();
          await raw.loseHistory();
          raw.close();
        },
      };
    },
  };
}
