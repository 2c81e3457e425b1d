// The options of the Redis backend, their defaults, and their validation (ConfigurationError names the field).
import type { ConnectionOptions } from "node:tls";
import { ConfigurationError, type Logger, redactUrl } from "@lattice-cache/core/backend";
import type { ClusterOptions, RedisOptions } from "ioredis";

/** A Redis Cluster seed node: `"redis://host:port"`, `"host:port"` or `{ host, port }`. */
export type RedisClusterNode = string | { readonly host: string; readonly port: number };

/** Redis Cluster settings. */
export interface RedisClusterSettings {
  /** Seed nodes; the client discovers the rest. */
  readonly nodes: readonly RedisClusterNode[];
  /** Passed through to `new Redis.Cluster(nodes, options)`; the fail-fast settings below win. */
  readonly options?: ClusterOptions;
}

/** Redis Sentinel settings. */
export interface RedisSentinelSettings {
  /** Sentinel addresses. */
  readonly sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The monitored master's name. */
  readonly name: string;
  /** ACL user for the sentinels themselves, if they require one. */
  readonly username?: string;
  /** Password for the sentinels themselves, if they require one. */
  readonly password?: string;
}

/** Options of `RedisBackend`. */
export interface RedisBackendOptions {
  /** Server URL (`redis://` or `rediss://` for TLS, may carry a database number). Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** The lattice prefix; keys are `{lattice:<prefix>}:…`. Default `default`. */
  readonly prefix?: string;
  /** ACL user name (overrides the URL's). Default: none (the `default` user). */
  readonly username?: string;
  /** Password (overrides the URL's). Never logged nor reported by `describe()`. Default: none. */
  readonly password?: string;
  /** TLS options (node `tls.connect` options); a `rediss://` URL enables TLS with defaults. Default: none. */
  readonly tls?: ConnectionOptions;
  /** Connect to a Redis Cluster instead of one server (`url` then only supplies credentials and `rediss://`). Default: none. */
  readonly cluster?: RedisClusterSettings;
  /** Find the master through Redis Sentinel (`url` then only supplies credentials and `rediss://`). Default: none. */
  readonly sentinel?: RedisSentinelSettings;
  /**
   * `create`: `open()` creates the lattice (its epoch key) when it is missing. `bind`: the lattice must
   * exist; `open()` fails with `LatticeNotFoundError` and writes nothing when it does not. Default `create`.
   */
  readonly provision?: "create" | "bind";
  /** Change-log entries kept (`XADD MAXLEN ~ N`); a replica further behind resyncs from a snapshot. Default 100 000. */
  readonly changeLogLength?: number;
  /**
   * Declare that the server persists every acknowledged write (AOF with `appendfsync always`, or a replicated
   * setup you trust). Only sets the `durable` capability; nothing is checked. Default false.
   */
  readonly durable?: boolean;
  /** How long `open()` waits for the first connection before failing with `BackendUnavailableError`. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * How long a command may wait with no byte from the server before the connection is declared dead, closed
   * and reconnected (ioredis `socketTimeout`): on a silent partition writes and `head()` fail with
   * `BackendUnavailableError` after this long, and a feed reports its connection down. A feed's blocking
   * `XREAD` gets `feedBlockMs` on top, so waiting for changes is never cut short. Default 5 000 ms.
   */
  readonly commandTimeoutMs?: number;
  /** How long one `XREAD BLOCK` of the feed waits before an idle check of the epoch. Default 2 000 ms. */
  readonly feedBlockMs?: number;
  /** Change-log entries read per `XREAD`. Default 1 000. */
  readonly feedBatchSize?: number;
  /**
   * Largest number of entries a snapshot returns from one atomic Lua call; bigger lattices are snapshotted
   * with HSCAN chunks made consistent by replaying the change log. One Lua call blocks the server while it
   * runs (about 0.4 s for 100 000 entries here), the chunks do not. Default 10 000.
   */
  readonly snapshotInlineLimit?: number;
  /** Longest pause between reconnection attempts (exponential backoff with jitter, forever). Default 2 000 ms. */
  readonly maxReconnectDelayMs?: number;
  /**
   * How long `close()` waits for the replies to writes already sent, so each resolves with its revision or
   * fails with the server's answer; a write still unanswered then fails saying its outcome is unknown.
   * `0` waits for none. Default 5 000 ms.
   */
  readonly closeGraceMs?: number;
  /**
   * Passed through to ioredis (`new Redis(url, options)`, or `redisOptions` of a cluster). The settings
   * that keep writes fail-fast are always applied on top: `lazyConnect`, `enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`. Default: none.
   */
  readonly redisOptions?: RedisOptions;
  /** Structured logger (pino works). Default: silent. */
  readonly logger?: Logger;
}

/** Every option with its default applied. */
export interface ResolvedRedisBackendOptions {
  readonly url: string;
  readonly prefix: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: ConnectionOptions | undefined;
  readonly cluster: RedisClusterSettings | undefined;
  readonly sentinel: RedisSentinelSettings | undefined;
  readonly provision: "create" | "bind";
  readonly changeLogLength: number;
  readonly durable: boolean;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly feedBlockMs: number;
  readonly feedBatchSize: number;
  readonly snapshotInlineLimit: number;
  readonly maxReconnectDelayMs: number;
  readonly closeGraceMs: number;
  readonly redisOptions: RedisOptions;
}

/** The defaults of the numeric options. */
export const REDIS_BACKEND_DEFAULTS = {
  url: "redis://127.0.0.1:6379",
  prefix: "default",
  changeLogLength: 100_000,
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 5_000,
  feedBlockMs: 2_000,
  feedBatchSize: 1_000,
  snapshotInlineLimit: 10_000,
  maxReconnectDelayMs: 2_000,
  closeGraceMs: 5_000,
} as const;

/** Applies defaults and validates; throws `ConfigurationError` naming the field. */
export function resolveRedisBackendOptions(options: RedisBackendOptions): ResolvedRedisBackendOptions {
  const url = options.url ?? REDIS_BACKEND_DEFAULTS.url;
  if (options.cluster === undefined && options.sentinel === undefined) checkUrl(url);
  if (options.cluster !== undefined && options.sentinel !== undefined) {
    throw new ConfigurationError("redis: choose either cluster or sentinel, not both", {
      field: "redis.cluster",
    });
  }
  if (
    options.cluster !== undefined &&
    (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0)
  ) {
    throw new ConfigurationError("redis.cluster.nodes must list at least one node", {
      field: "redis.cluster.nodes",
    });
  }
  if (options.sentinel !== undefined) {
    if (!Array.isArray(options.sentinel.sentinels) || options.sentinel.sentinels.length === 0) {
      throw new ConfigurationError("redis.sentinel.sentinels must list at least one sentinel", {
        field: "redis.sentinel.sentinels",
      });
    }
    if (typeof options.sentinel.name !== "string" || options.sentinel.name === "") {
      throw new ConfigurationError("redis.sentinel.name must name the monitored master", {
        field: "redis.sentinel.name",
      });
    }
  }
  return {
    url,
    prefix: options.prefix ?? REDIS_BACKEND_DEFAULTS.prefix,
    username: options.username,
    password: options.password,
    tls: options.tls,
    cluster: options.cluster,
    sentinel: options.sentinel,
    provision: provisionMode(options.provision),
    changeLogLength: positiveInteger(options, "changeLogLength"),
    durable: options.durable ?? false,
    connectTimeoutMs: positiveInteger(options, "connectTimeoutMs"),
    commandTimeoutMs: positiveInteger(options, "commandTimeoutMs"),
    feedBlockMs: positiveInteger(options, "feedBlockMs"),
    feedBatchSize: positiveInteger(options, "feedBatchSize"),
    snapshotInlineLimit: positiveInteger(options, "snapshotInlineLimit"),
    maxReconnectDelayMs: positiveInteger(options, "maxReconnectDelayMs"),
    closeGraceMs: nonNegativeInteger(options, "closeGraceMs"),
    redisOptions: options.redisOptions ?? {},
  };
}

function provisionMode(mode: RedisBackendOptions["provision"]): "create" | "bind" {
  if (mode === undefined || mode === "create" || mode === "bind") return mode ?? "create";
  throw new ConfigurationError(`redis.provision must be "create" or "bind" (got ${JSON.stringify(mode)})`, {
    field: "redis.provision",
    allowed: ["create", "bind"],
  });
}

/** A cluster seed node as text, without credentials. */
export function describeClusterNode(node: RedisClusterNode): string {
  if (typeof node !== "string") return `${node.host}:${node.port}`;
  return redactUrl(node.includes("://") ? node : `redis://${node}`);
}

type NumericOption = keyof typeof REDIS_BACKEND_DEFAULTS & keyof RedisBackendOptions;

function positiveInteger(
  options: RedisBackendOptions,
  name: Exclude<NumericOption, "url" | "prefix">,
): number {
  const value = options[name] ?? REDIS_BACKEND_DEFAULTS[name];
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`redis.${name} must be a positive integer (got ${String(value)})`, {
      field: `redis.${name}`,
    });
  }
  return value;
}

function nonNegativeInteger(options: RedisBackendOptions, name: "closeGraceMs"): number {
  const value = options[name] ?? REDIS_BACKEND_DEFAULTS[name];
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigurationError(`redis.${name} must be a non-negative integer (got ${String(value)})`, {
      field: `redis.${name}`,
    });
  }
  return value;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`redis.url is not a URL: ${redactUrl(url)}`, { field: "redis.url" });
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new ConfigurationError(
      `redis.url must start with redis:// or rediss:// (got ${parsed.protocol}//)`,
      {
        field: "redis.url",
        allowed: ["redis://", "rediss://"],
      },
    );
  }
}
