// ioredis clients for the host's own Redis connections (the status channel), from the host's Redis settings:
// one server, a Cluster (classic pub/sub reaches every node) or the master a Sentinel names.
import {
  BackendUnavailableError,
  ConfigurationError,
  LatticeCacheError,
  PermissionDeniedError,
} from "@lattice-cache/core";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisConfig } from "../config/host-config.js";

/** A client of the configured deployment: a single server or Sentinel master (`Redis`), or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** How a client behaves. */
export interface RedisClientOptions {
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

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/** Makes a client, not yet connected (`lazyConnect`); see {@link connectRedisClient}. */
export function createRedisClient(redis: RedisConfig, options: RedisClientOptions): RedisClient {
  const url = new URL(redis.url);
  const username = redis.username ?? (url.username === "" ? undefined : decodeURIComponent(url.username));
  const password = redis.password ?? (url.password === "" ? undefined : decodeURIComponent(url.password));
  const retryStrategy = options.persistent
    ? (attempt: number) => Math.min(FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 5), MAX_RETRY_MS)
    : () => null;
  const offlineQueue = options.offlineQueue ?? false;
  // What every connection (each cluster node's too) gets.
  const connection: RedisOptions = {
    connectionName: options.name,
    connectTimeout: options.connectTimeoutMs,
    maxRetriesPerRequest: options.persistent ? null : 0,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(redis.tls || url.protocol === "rediss:" ? { tls: {} } : {}),
  };
  const common: RedisOptions = { ...connection, lazyConnect: true, enableOfflineQueue: offlineQueue };
  let client: RedisClient;
  if (redis.cluster) {
    client = new Cluster(
      redis.cluster.map((node) => hostPort(node, "redis.cluster")),
      {
        lazyConnect: true,
        enableOfflineQueue: offlineQueue,
        clusterRetryStrategy: retryStrategy,
        redisOptions: connection,
      },
    );
  } else if (redis.sentinel) {
    client = new Redis({
      ...common,
      retryStrategy,
      sentinels: redis.sentinel.sentinels.map((s) => hostPort(s, "redis.sentinel.sentinels")),
      name: redis.sentinel.name,
      sentinelRetryStrategy: options.persistent ? retryStrategy : () => null,
    });
  } else {
    client = new Redis(redis.url, { ...common, retryStrategy });
  }
  client.on("error", options.onError);
  return client;
}

/**
 * Connects `client`. Rejects with the error that made the attempt fail (ioredis itself only says
 * "Connection is closed."), typed by {@link typedRedisError}.
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
    throw typedRedisError(last ?? error);
  } finally {
    client.off("error", remember);
  }
}

/** Closes a client without waiting for pending replies. */
export function closeRedisClient(client: RedisClient): void {
  client.disconnect();
}

/** True for Redis's answers to wrong or insufficient credentials. */
export function isCredentialsError(error: unknown): boolean {
  return error instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message);
}

/** `PermissionDeniedError` for refused credentials, `BackendUnavailableError` for anything else. */
export function typedRedisError(error: unknown): Error {
  if (LatticeCacheError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isCredentialsError(error)) return new PermissionDeniedError(message, { cause: error });
  return new BackendUnavailableError("redis", message, { cause: error });
}

function hostPort(text: string, field: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text.replace(/^rediss?:\/\//, ""));
  if (!match) {
    throw new ConfigurationError(`${field} entries must be host:port (got ${JSON.stringify(text)})`, {
      field,
    });
  }
  return { host: match[1] as string, port: Number(match[2]) };
}
