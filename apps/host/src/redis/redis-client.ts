// The host's Redis settings as @lattice-cache/redis takes them (the one conversion, for the backend and for
// the host's own connections), and the host's own clients — the status channel's — made by the package's
// `createRedisClient`: one server, a Cluster (classic pub/sub reaches every node) or the master a Sentinel names.

import { HOST_RETRY_POLICY, parseHostPort } from "@lattice-cache/plugin";
import {
  createRedisClient,
  type RedisClient,
  type RedisConnectionSettings,
  toLatticeError,
} from "@lattice-cache/redis";
import type { RedisSettings } from "./redis-settings.js";

/** Where the configured deployment is, with its credentials and TLS (host:port entries are validated). */
export function redisConnectionSettings(redis: RedisSettings): RedisConnectionSettings {
  const address = (text: string) => parseHostPort(text) as { host: string; port: number };
  return {
    url: redis.url,
    username: redis.username,
    password: redis.password,
    tls: redis.tls ? {} : undefined,
    cluster: redis.cluster ? { nodes: redis.cluster.map(address) } : undefined,
    sentinel: redis.sentinel
      ? { name: redis.sentinel.name, sentinels: redis.sentinel.sentinels.map(address) }
      : undefined,
  };
}

/** How one of the host's own clients behaves. */
export interface HostRedisClientRole {
  /** Connection name shown by `CLIENT LIST`. */
  readonly name: string;
  /** How long a connection attempt may take, in ms. */
  readonly connectTimeoutMs: number;
  /**
   * `true` for a host's connections: reconnect forever with backoff (ioredis resubscribes by itself).
   * `false` for a one-shot command's: no reconnection, so a dead server fails fast.
   */
  readonly persistent: boolean;
  /**
   * Queue commands while disconnected (a subscriber's SUBSCRIBE waits for the connection). Default false:
   * a command fails at once instead (an answer sent minutes late would only mislead).
   */
  readonly offlineQueue?: boolean;
  /** Called with every connection error (ioredis emits them as events; without a listener it prints them). */
  readonly onError: (error: Error) => void;
}

/** A client of the configured deployment, not yet connected (see {@link connectRedisClient}). */
export function hostRedisClient(redis: RedisSettings, role: HostRedisClientRole): RedisClient {
  return createRedisClient(redisConnectionSettings(redis), {
    name: role.name,
    connectTimeoutMs: role.connectTimeoutMs,
    reconnect: role.persistent ? HOST_RETRY_POLICY : false,
    offlineQueue: role.offlineQueue ?? false,
    onError: role.onError,
  });
}

/**
 * Connects `client`. Rejects with the error that made the attempt fail (ioredis itself only says
 * "Connection is closed."), typed: `PermissionDeniedError` for refused credentials, else
 * `BackendUnavailableError`.
 */
export async function connectRedisClient(client: RedisClient): Promise<void> {
  let last: unknown;
  const remember = (error: unknown) => {
    last = error;
  };
  client.on("error", remember);
  try {
    await client.connect();
  } catch (error) {
    throw toLatticeError(last ?? error, "connect");
  } finally {
    client.off("error", remember);
  }
}
