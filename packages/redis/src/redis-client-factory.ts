// Builds ioredis clients (one server, Sentinel, or Cluster) with the settings the lattice semantics need:
// reconnect forever with backoff, and fail fast instead of queueing while disconnected (rule 10).
import { type BackoffPolicy, backoffDelay } from "@lattice-cache/core";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "./lua-scripts.js";
import type { ResolvedRedisBackendOptions } from "./redis-backend-options.js";

/** What a client is for: commands (writes, head) or one feed (its blocking XREAD needs its own connection). */
export type ClientRole = "commands" | "feed";

/** Creates a lazy (not yet connected) client for `role`. */
export function createRedisClient(options: ResolvedRedisBackendOptions, role: ClientRole): RedisClient {
  const policy = reconnectPolicy(options.maxReconnectDelayMs);
  const backoff = (attempt: number) => backoffDelay(attempt, policy);
  const connection: RedisOptions = {
    ...options.redisOptions,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    connectTimeout: options.connectTimeoutMs,
    // A silent partition (no RST, no FIN) would otherwise hang commands forever. The feed's blocking read
    // legitimately waits feedBlockMs for its reply.
    socketTimeout:
      role === "feed" ? options.feedBlockMs + options.commandTimeoutMs : options.commandTimeoutMs,
    lazyConnect: true,
    // Rule 10: while disconnected, writes fail at once (no silent queueing) …
    enableOfflineQueue: false,
    // … and commands in flight when the connection drops are rejected, not resent blindly after reconnecting
    // (a resent write could apply twice).
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  };
  if (options.cluster !== undefined) {
    const {
      retryStrategy: _r,
      enableOfflineQueue: _e,
      readOnly: _o,
      sentinels: _s,
      ...nodeOptions
    } = connection;
    const clusterOptions: ClusterOptions = {
      ...options.cluster.options,
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      redisOptions: { ...options.cluster.options?.redisOptions, ...nodeOptions },
    };
    return new Cluster(
      [...options.cluster.nodes] as ConstructorParameters<typeof Cluster>[0],
      clusterOptions,
    );
  }
  if (options.sentinel !== undefined) {
    const s = options.sentinel;
    return new Redis({
      retryStrategy: backoff,
      ...connection,
      sentinels: s.sentinels.map((a) => ({ host: a.host, port: a.port })),
      name: s.name,
      ...(s.username === undefined ? {} : { sentinelUsername: s.username }),
      ...(s.password === undefined ? {} : { sentinelPassword: s.password }),
    });
  }
  return new Redis(options.url, { retryStrategy: backoff, ...connection });
}

/** Reconnections and feed retries: 100 ms doubling to `maxDelayMs`, half jittered, forever (a host outlives any Redis outage). */
export function reconnectPolicy(maxDelayMs: number): BackoffPolicy {
  return { baseMs: Math.min(100, maxDelayMs), maxMs: maxDelayMs, jitter: 0.5 };
}
