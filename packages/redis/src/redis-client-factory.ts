// Builds ioredis clients (one server, Sentinel, or Cluster) — the backend's, and any other connection a program
// makes with the same settings (a host's status channel): credentials, TLS, a reconnect policy, and by default
// failing fast instead of queueing while disconnected (rule 10).
// Rules cited here: docs/semantics.md#rule-10.
import { type BackoffPolicy, backoffDelay } from "@lattice-cache/core/backend";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "./lua-scripts.js";
import {
  REDIS_BACKEND_DEFAULTS,
  type RedisBackendOptions,
  type ResolvedRedisBackendOptions,
} from "./redis-backend-options.js";

/**
 * Where a client connects, as the backend's options of the same names say: `url` (one server; with a
 * Cluster or Sentinel it only supplies credentials and `rediss://`), `username` and `password` (override
 * the URL's), `tls`, `cluster`, `sentinel`, and `redisOptions` passed through to ioredis.
 */
export type RedisConnectionSettings = Pick<
  RedisBackendOptions,
  "url" | "username" | "password" | "tls" | "cluster" | "sentinel" | "redisOptions"
>;

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

/** Creates a lazy (not yet connected: call `connect()`) client of the deployment `settings` describe. */
export function createRedisClient(settings: RedisConnectionSettings, role: RedisClientRole): RedisClient {
  const address = parseUrl(settings.url ?? REDIS_BACKEND_DEFAULTS.url);
  const username = settings.username ?? address.username;
  const password = settings.password ?? address.password;
  const tls = settings.tls ?? (address.tls ? {} : undefined);
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
      ...settings.cluster.options,
      lazyConnect: true,
      enableOfflineQueue: offlineQueue,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...settings.cluster.options?.redisOptions, ...nodeOptions },
    };
    client = new Cluster(
      [...settings.cluster.nodes] as ConstructorParameters<typeof Cluster>[0],
      clusterOptions,
    );
  } else if (settings.sentinel !== undefined) {
    const s = settings.sentinel;
    client = new Redis({
      retryStrategy,
      sentinelRetryStrategy: retryStrategy,
      ...connection,
      sentinels: s.sentinels.map((a) => ({ host: a.host, port: a.port })),
      name: s.name,
      ...(s.username === undefined ? {} : { sentinelUsername: s.username }),
      ...(s.password === undefined ? {} : { sentinelPassword: s.password }),
    });
  } else {
    // Credentials go as options, not in the URL: ioredis would let the URL's win over them.
    client = new Redis(address.withoutCredentials, { retryStrategy, ...connection });
  }
  if (role.onError) client.on("error", role.onError);
  return client;
}

/** The backend's clients: one for commands, one per feed (its blocking XREAD needs a connection of its own). */
export function backendClient(options: ResolvedRedisBackendOptions, role: "commands" | "feed"): RedisClient {
  return createRedisClient(options, {
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

/** What a server URL says about the connection, and the URL without its credentials. */
function parseUrl(url: string): {
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
  readonly withoutCredentials: string;
} {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL (the backend's options refuse one for a single server): ioredis makes of it what it can.
    return { username: undefined, password: undefined, tls: false, withoutCredentials: url };
  }
  const username = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  return { username, password, tls: parsed.protocol === "rediss:", withoutCredentials: parsed.toString() };
}
