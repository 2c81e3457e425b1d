// Conformance targets for the Redis backend (one server, or a cluster): a fresh lattice prefix per store; raw
// reads, foreign writes, backups and lost history through an admin connection (the backdoor); partitions and
// cut connections through fault proxies of each backend's own.
import type { ConformanceBackdoor, ConformanceStore, ConformanceTarget } from "@lattice-cache/conformance";
import type { LatticeBackend } from "@lattice-cache/core";
import type {
  FaultMode,
  FaultProxyHandle,
  RedisClusterHandle,
  RedisServerHandle,
} from "@lattice-cache/test-harness";
import { startFaultProxy } from "@lattice-cache/test-harness";
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

/** One backend's fault proxies (one per server it talks to), and whether the backend is cut off. */
interface Link {
  readonly proxies: readonly FaultProxyHandle[];
  cut: boolean;
}

/**
 * The fault proxies of one store, their own for each backend: the store's partition (`pass`, `drop`,
 * `blackhole`) applies to all of them, a backend's cut (`drop`) to its own only.
 */
class StoreProxies {
  private partition: FaultMode = "pass";
  private readonly links = new Map<LatticeBackend, Link>();

  /** @param ports - the servers' ports: every backend gets a proxy to each, in this order */
  constructor(private readonly ports: readonly number[]) {}

  /** New proxies for `make`'s backend, in the store's current partition. */
  async connect(make: (proxies: readonly FaultProxyHandle[]) => LatticeBackend): Promise<LatticeBackend> {
    const proxies = await Promise.all(this.ports.map((port) => startFaultProxy({ target: { port } })));
    const backend = make(proxies);
    const link = { proxies, cut: false };
    this.links.set(backend, link);
    this.apply(link);
    return backend;
  }

  /** Cuts or restores one backend's connections, synchronously. */
  interrupt(backend: LatticeBackend, cut: boolean): void {
    const link = this.links.get(backend);
    if (link === undefined) throw new Error("interruptFeed needs a backend made by this store's connect()");
    link.cut = cut;
    this.apply(link);
  }

  /**
   * Partitions every backend (`drop`, `blackhole`) or heals (`pass`). The bytes a blackhole swallowed
   * cannot arrive late, as TCP would deliver them: healing drops its connections (as the clients' own
   * timeouts would have) rather than resume replies out of step with their commands.
   */
  setPartition(mode: FaultMode): void {
    for (const proxy of this.proxies()) {
      if (mode === "pass" && proxy.mode === "blackhole") proxy.setMode("drop");
    }
    this.partition = mode;
    for (const link of this.links.values()) this.apply(link);
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies().map((proxy) => proxy.close()));
  }

  private proxies(): FaultProxyHandle[] {
    return [...this.links.values()].flatMap((link) => link.proxies);
  }

  private apply(link: Link): void {
    const mode = this.partition !== "pass" ? this.partition : link.cut ? "drop" : "pass";
    for (const proxy of link.proxies) if (proxy.mode !== mode) proxy.setMode(mode);
  }
}

/** The fault switches of a store whose backends connect through proxies. */
function faultBackdoor(
  proxies: StoreProxies,
): Pick<ConformanceBackdoor, "interruptFeed" | "disconnect" | "blackhole" | "reconnect"> {
  return {
    // Synchronous up to the returned promise: a feed sink may call it mid-delivery.
    interruptFeed: async (backend, cut) => proxies.interrupt(backend, cut),
    disconnect: async () => proxies.setPartition("drop"),
    blackhole: async () => proxies.setPartition("blackhole"),
    reconnect: async () => proxies.setPartition("pass"),
  };
}

/** One redis-server; every backend of a store connects through its own fault proxy. */
export function standaloneTarget(server: () => RedisServerHandle): ConformanceTarget {
  return {
    name: "redis",
    async newStore(): Promise<ConformanceStore> {
      const s = server();
      const prefix = uniquePrefix("conf");
      const proxies = new StoreProxies([s.port]);
      const raw = RawLattice.connect({ url: s.url }, prefix);
      return {
        connect: () =>
          proxies.connect(
            ([proxy]) =>
              new RedisBackend({ url: (proxy as FaultProxyHandle).url("redis"), prefix, ...TEST_TUNING }),
          ),
        backdoor: { ...adminBackdoor(raw), ...faultBackdoor(proxies) },
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
      const proxies = new StoreProxies(c.nodes.map((node) => node.port));
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
              cluster: { nodes: [(nodeProxies[0] as FaultProxyHandle).url("redis")], options: { natMap } },
              prefix,
              ...TEST_TUNING,
            });
          }),
        backdoor: { ...adminBackdoor(raw), ...faultBackdoor(proxies) },
        dispose: async () => {
          await proxies.close();
          await raw.loseHistory();
          raw.close();
        },
      };
    },
  };
}
