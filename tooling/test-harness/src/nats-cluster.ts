import { randomBytes } from "node:crypto";
import { trackResource, untrackResource } from "./cleanup-registry.js";
import { freePort } from "./free-port.js";
import { getJson } from "./http-json.js";
import { type NatsServerHandle, startNatsServer } from "./nats-server.js";
import { waitFor } from "./wait-for.js";

/** Options for {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** Number of nodes (default 3). */
  size?: number;
  /** Cluster name (default: unique `cluster-XXXXXX`). */
  name?: string;
  /** Raw configuration appended to every node's config file. */
  config?: string;
  /** JetStream domain for every node. */
  jetstreamDomain?: string;
  /** Readiness deadline per node start, and for the first meta leader election (default 30 000 ms). */
  startTimeoutMs?: number;
}

/** A JetStream-enabled nats-server cluster started by {@link startNatsCluster}. */
export interface NatsClusterHandle {
  /** The nodes, named n1..nN. */
  readonly servers: NatsServerHandle[];
  /** Client URLs of all nodes. */
  readonly urls: string[];
  /**
   * Polls the live nodes until one of them is confirmed JetStream meta leader (via
   * `/jsz?leader-only=true`) and every responding node agrees; resolves its server_name.
   * Default timeout 30 000 ms.
   */
  waitForMetaLeader(timeoutMs?: number): Promise<string>;
  /** The node with this server_name, if any. */
  serverByName(name: string): NatsServerHandle | undefined;
  /** Disposes every node (stops them, removes their temp dirs); idempotent. */
  dispose(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function metaLeaderOf(jsz: Record<string, unknown>): string | undefined {
  const meta = jsz["meta_cluster"];
  if (typeof meta !== "object" || meta === null) {
    return undefined;
  }
  const leader = (meta as Record<string, unknown>)["leader"];
  return typeof leader === "string" && leader !== "" ? leader : undefined;
}

class NatsCluster implements NatsClusterHandle {
  readonly servers: NatsServerHandle[];
  readonly urls: string[];
  #disposed = false;

  constructor(servers: NatsServerHandle[]) {
    this.servers = servers;
    this.urls = servers.map((server) => server.url);
  }

  serverByName(name: string): NatsServerHandle | undefined {
    return this.servers.find((server) => server.serverName === name);
  }

  waitForMetaLeader(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return waitFor(() => this.#confirmedLeader(), {
      timeoutMs,
      intervalMs: 250,
      what: "a JetStream meta leader among the live cluster nodes",
    });
  }

  async #confirmedLeader(): Promise<string | undefined> {
    const live = this.servers.filter((server) => server.running);
    const reports = await Promise.allSettled(live.map((server) => server.jsz()));
    const claimed = new Set<string | undefined>();
    for (const report of reports) {
      if (report.status === "fulfilled") {
        claimed.add(metaLeaderOf(report.value));
      }
    }
    const [leaderName, ...others] = [...claimed];
    if (leaderName === undefined || others.length > 0) {
      return undefined; // nobody answered, no leader yet, or the nodes disagree
    }
    const leader = this.serverByName(leaderName);
    if (leader === undefined || !leader.running || leader.monitorPort === undefined) {
      return undefined; // a stale view of a node that is gone
    }
    const { status } = await getJson(leader.monitorPort, "/jsz?leader-only=true");
    return status === 200 ? leaderName : undefined;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) {
      return;
    }
    this.#disposed = true;
    untrackResource(this);
    await Promise.all(this.servers.map((server) => server.dispose()));
  }
}

/**
 * Starts a JetStream cluster of `size` (default 3) nats-servers named n1..nN on 127.0.0.1. Every node lists
 * the route ports of all nodes (nats-server 2.9 derives the JetStream cluster size from them), the nodes
 * are started in parallel, and the promise resolves once a meta leader has been elected.
 */
export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = opts.size ?? 3;
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`startNatsCluster: size must be a positive integer, got ${size}`);
  }
  const name = opts.name ?? `cluster-${randomBytes(3).toString("hex")}`;
  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    routePorts.push(await freePort());
  }
  const starts = await Promise.allSettled(
    routePorts.map((port, index) =>
      startNatsServer({
        serverName: `n${index + 1}`,
        cluster: { name, port, routes: routePorts },
        ...(opts.config !== undefined ? { config: opts.config } : {}),
        ...(opts.jetstreamDomain !== undefined ? { jetstreamDomain: opts.jetstreamDomain } : {}),
        startTimeoutMs: timeoutMs,
      }),
    ),
  );
  const servers = starts.flatMap((start) => (start.status === "fulfilled" ? [start.value] : []));
  const cluster = new NatsCluster(servers);
  const failed = starts.find((start) => start.status === "rejected");
  if (failed !== undefined) {
    await cluster.dispose();
    throw failed.reason;
  }
  try {
    await cluster.waitForMetaLeader(timeoutMs);
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
  trackResource(cluster);
  return cluster;
}
