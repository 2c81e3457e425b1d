// The host's own Redis clients — the status channel's — of the configured deployment: one server, a Cluster
// (classic pub/sub reaches every node) or the master a Sentinel names, made as the backend's are.

import { HOST_RETRY_POLICY } from "@lattice-cache/plugin";
import type { RedisClient } from "../lua-scripts.js";
import { redisClientOf } from "../redis-client-factory.js";
import { toLatticeError } from "../redis-errors.js";
import type { RedisSettings } from "../redis-settings.js";

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
  return redisClientOf(redis, {
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
