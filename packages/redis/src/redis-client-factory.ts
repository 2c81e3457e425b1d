// Builds ioredis clients (one server, Sentinel, or Cluster) — the backend's, and any other connection a program
// makes with the same settings (a host's status channel): credentials, TLS, a reconnect policy, and by default
// failing fast instead of queueing while disconnected (rule 10).
// Rules cited here: docs/semantics.md#rule-10.
import { type BackoffPolicy, backoffDelay } from "@lattice-cache/core/backend";
import { parseHostPort, parseOptions } from "@lattice-cache/plugin";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "./lua-scripts.js";
import {
  REDIS_CONNECTION_OPTIONS,
  type RedisConnection,
  type RedisConnectionSettings,
  type ResolvedRedisBackendOptions,
} from "./redis-backend-options.js";

/** How one client behaves. */
export interface RedisClientRole {
  /** The connection name `CLIENT LIST` shows. Default: none. */
  readonly name?: string;
  /** How long one connection attempt may take, in ms. */
  readonly connectTimeoutMs: number;
  /**
   * How long a command may wait with no byte from the server before the connection is declared dead and
   * reconnected (ioredis `socketTimeout`; a silent partition would otherwise hang commands). Default: none.
   */
  readonly socketTimeoutMs?: number;
  /**
   * Reconnect forever with these pauses (a long-lived connection outlives any outage), or `false`: never
   * reconnect, so a one-shot command fails fast on a dead server.
   */
  readonly reconnect: BackoffPolicy | false;
  /**
   * Queue commands while disconnected until the connection is back (a subscriber's SUBSCRIBE may wait).
   * Default false (rule 10): a command fails at once, and one in flight when the connection drops is
   * rejected rather than sent again after reconnecting (a resent write could apply twice).
   */
  readonly offlineQueue?: boolean;
  /** Called with every connection error (ioredis emits them as events, and prints them when nobody listens). */
  readonly onError?: (error: Error) => void;
}

/**
 * Creates a lazy (not yet connected: call `connect()`) client of the deployment `settings` describe: the
 * backend's options of the same names (`url`, `username`, `password`, `tls`, `cluster`, `sentinel`,
 * `redisOptions`, `clusterOptions`; others are ignored).
 * @throws ConfigurationError for invalid settings, worded as the backend's options are
 */
export function createRedisClient(settings: RedisConnectionSettings, role: RedisClientRole): RedisClient {
  return redisClientOf(parseOptions(REDIS_CONNECTION_OPTIONS, settings, "redis"), role);
}

/** A lazy client of validated connection settings. */
export function redisClientOf(settings: RedisConnection, role: RedisClientRole): RedisClient {
  const address = parseUrl(settings.url);
  const username = settings.username ?? address.username;
  const password = settings.password ?? address.password;
  // Node TLS options given to ioredis win; else the setting or a rediss:// URL turns TLS on with defaults.
  const tls = settings.redisOptions?.tls ?? (settings.tls || address.tls ? {} : undefined);
  const reconnect = role.reconnect;
  const retryStrategy =
    reconnect === false ? () => null : (attempt: number) => backoffDelay(attempt, reconnect);
  const offlineQueue = role.offlineQueue ?? false;
  const connection: RedisOptions = {
    ...settings.redisOptions,
    ...(role.name === undefined ? {} : { connectionName: role.name }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(tls === undefined ? {} : { tls }),
    connectTimeout: role.connectTimeoutMs,
    ...(role.socketTimeoutMs === undefined ? {} : { socketTimeout: role.socketTimeoutMs }),
    lazyConnect: true,
    enableOfflineQueue: offlineQueue,
    // Without a queue, commands in flight when the connection drops are rejected, not resent blindly.
    maxRetriesPerRequest: offlineQueue ? null : 0,
    autoResendUnfulfilledCommands: offlineQueue,
  };
  let client: RedisClient;
  if (settings.cluster !== undefined) {
    const {
      retryStrategy: _r,
      enableOfflineQueue: _e,
      readOnly: _o,
      sentinels: _s,
      ...nodeOptions
    } = connection;
    const clusterOptions: ClusterOptions = {
      ...settings.clusterOptions,
      lazyConnect: true,
      enableOfflineQueue: offlineQueue,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...settings.clusterOptions?.redisOptions, ...nodeOptions },
    };
    client = new Cluster(settings.cluster.map(addressOf), clusterOptions);
  } else if (settings.sentinel !== undefined) {
    client = new Redis({
      retryStrategy,
      sentinelRetryStrategy: retryStrategy,
      ...connection,
      sentinels: settings.sentinel.sentinels.map(addressOf),
      name: settings.sentinel.name,
    });
  } else {
    // Credentials go as options, not in the URL: ioredis would let the URL's win over them.
    client = new Redis(address.withoutCredentials, { retryStrategy, ...connection });
  }
  if (role.onError) client.on("error", role.onError);
  return client;
}

/** A validated `host:port` entry as ioredis takes it. */
function addressOf(entry: string): { host: string; port: number } {
  return parseHostPort(entry) as { host: string; port: number };
}

/** The backend's clients: one for commands, one per feed (its blocking XREAD needs a connection of its own). */
export function backendClient(options: ResolvedRedisBackendOptions, role: "commands" | "feed"): RedisClient {
  return redisClientOf(options, {
    connectTimeoutMs: options.connectTimeoutMs,
    // A feed's blocking read legitimately waits feedBlockMs for its reply.
    socketTimeoutMs:
      role === "feed" ? options.feedBlockMs + options.commandTimeoutMs : options.commandTimeoutMs,
    reconnect: reconnectPolicy(options.maxReconnectDelayMs),
  });
}

/** Reconnections and feed retries: 100 ms doubling to `maxDelayMs`, half jittered, forever (a host outlives any Redis outage). */
export function reconnectPolicy(maxDelayMs: number): BackoffPolicy {
  return { baseMs: Math.min(100, maxDelayMs), maxMs: maxDelayMs, jitter: 0.5 };
}

/** What a (validated) server URL says about the connection, and the URL without its credentials. */
function parseUrl(url: string): {
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
  readonly withoutCredentials: string;
} {
  const parsed = new URL(url);
  const username = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  return { username, password, tls: parsed.protocol === "rediss:", withoutCredentials: parsed.toString() };
}
