import { trackResource, untrackResource } from "./cleanup-registry.js";
import { type RedisServerHandle, startRedisServer } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Number of master nodes, each owning an equal share of the 16384 slots (default 3). */
  masters?: number;
  /** Deadline for each node start and for the cluster to reach `cluster_state:ok` (default 30 000 ms). */
  startTimeoutMs?: number;
}

/** A Redis Cluster started by {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** The master nodes, in slot order. */
  readonly nodes: RedisServerHandle[];
  /** `redis://127.0.0.1:PORT` of every node. */
  readonly urls: string[];
  /** Disposes every node; idempotent. */
  dispose(): Promise<void>;
}

const SLOT_COUNT = 16_384;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Parses `CLUSTER INFO` text into a key/value map. */
export function parseClusterInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      info[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
  }
  return info;
}

class RedisCluster implements RedisClusterHandle {
  readonly nodes: RedisServerHandle[];
  readonly urls: string[];
  #disposed = false;

  constructor(nodes: RedisServerHandle[]) {
    this.nodes = nodes;
    this.urls = nodes.map((node) => node.url);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) {
      return;
    }
    this.#disposed = true;
    untrackResource(this);
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }
}

async function formCluster(nodes: RedisServerHandle[], timeoutMs: number): Promise<void> {
  // What `redis-cli --cluster create` does, over plain RESP: distinct config epochs, slot ranges, MEET.
  await Promise.all(
    nodes.map(async (node, index) => {
      await node.command("CLUSTER", "SET-CONFIG-EPOCH", String(index + 1));
      const first = Math.floor((index * SLOT_COUNT) / nodes.length);
      const last = Math.floor(((index + 1) * SLOT_COUNT) / nodes.length) - 1;
      await node.command("CLUSTER", "ADDSLOTSRANGE", String(first), String(last));
    }),
  );
  const [seed, ...others] = nodes;
  if (seed !== undefined) {
    for (const other of others) {
      // The bus port is not port + 10000 here, so it is passed explicitly (Redis 7 syntax).
      await seed.command("CLUSTER", "MEET", "127.0.0.1", String(other.port), String(other.clusterBusPort));
    }
  }
  await waitFor(
    async () => {
      const infos = await Promise.all(
        nodes.map(async (node) => parseClusterInfo(await node.command("CLUSTER", "INFO"))),
      );
      return infos.every(
        (info) =>
          info["cluster_state"] === "ok" &&
          info["cluster_slots_ok"] === String(SLOT_COUNT) &&
          info["cluster_known_nodes"] === String(nodes.length) &&
          info["cluster_size"] === String(nodes.length),
      );
    },
    {
      timeoutMs,
      intervalMs: 200,
      what: `redis cluster of ${nodes.length} masters to report cluster_state:ok`,
    },
  );
}

/**
 * Starts `masters` (default 3) cluster-enabled redis-servers, assigns each an equal slot range, joins
 * them with CLUSTER MEET (no redis-cli needed) and resolves once every node reports `cluster_state:ok`
 * with all nodes known.
 */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1) {
    throw new Error(`startRedisCluster: masters must be a positive integer, got ${masters}`);
  }
  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const starts = await Promise.allSettled(
    Array.from({ length: masters }, () => startRedisServer({ cluster: true, startTimeoutMs: timeoutMs })),
  );
  const nodes = starts.flatMap((start) => (start.status === "fulfilled" ? [start.value] : []));
  const cluster = new RedisCluster(nodes);
  const failed = starts.find((start) => start.status === "rejected");
  try {
    if (failed !== undefined) {
      throw failed.reason;
    }
    await formCluster(nodes, timeoutMs);
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
  trackResource(cluster);
  return cluster;
}
