// The options of the Redis backend: one schema — the `redis` settings a deployment is configured with (the
// host's config section, the same schemas), the lattice prefix, the backend's tuning, and what only a program
// can give (a logger, ioredis options). Defaults, validation and messages all come from it.
import type { Logger } from "@lattice-cache/core/backend";
import {
  choice,
  integer,
  mapping,
  parseOptions,
  prefixSetting,
  type SettingsValues,
  setting,
  toggle,
} from "@lattice-cache/plugin";
import type { ClusterOptions, RedisOptions } from "ioredis";
import { z } from "zod";
import { REDIS_SETTINGS } from "./redis-settings.js";

/** The largest delay Node's timers take (ms): the ceiling of every duration option. */
const MAX_MS = 2_147_483_647;

/** An object a program gives (not a setting: no file or environment spells it). */
function programOnly<T>(what: string) {
  return z
    .custom<T>((value) => typeof value === "object" && value !== null, {
      error: `must be ${what} (an object)`,
    })
    .optional();
}

/** The backend's options a program gives as values (the host gives some of them from its own settings). */
const SETTINGS = {
  ...REDIS_SETTINGS,
  prefix: prefixSetting(),
  provision: setting(choice(["create", "bind"]).default("create"), {
    description:
      "`create` the lattice (its epoch key) when it is missing, or `bind`: it must exist (`LatticeNotFoundError`)",
  }),
  durable: setting(toggle().default(false), {
    description: "declare that the server persists every acknowledged write (only sets the capability)",
  }),
  connectTimeoutMs: setting(integer(1, MAX_MS).default(10_000), {
    description: "how long `open()` keeps trying to connect before `BackendUnavailableError`",
  }),
  commandTimeoutMs: setting(integer(1, MAX_MS).default(5_000), {
    description:
      "silence from the server after which a connection is declared dead (ioredis `socketTimeout`)",
  }),
  feedBlockMs: setting(integer(1, MAX_MS).default(2_000), {
    description: "one `XREAD BLOCK` of a feed; after an idle one the feed re-checks the epoch",
  }),
  feedBatchSize: setting(integer(1, 1_000_000).default(1_000), {
    description: "change-log entries read per `XREAD`",
  }),
  snapshotInlineLimit: setting(integer(1, 1_000_000_000).default(10_000), {
    description: "largest snapshot read by one atomic Lua call; bigger ones are read in checked chunks",
  }),
  maxReconnectDelayMs: setting(integer(1, MAX_MS).default(2_000), {
    description: "cap of the reconnection backoff (from 100 ms, jittered, forever)",
  }),
  closeGraceMs: setting(integer(0, MAX_MS).default(5_000), {
    description: "how long `close()` waits for the replies to writes already sent; 0 waits for none",
  }),
};

/** What only a program gives: no file or environment variable spells these. */
const PROGRAM_OPTIONS = {
  /**
   * Passed through to ioredis (`new Redis(url, options)`, or each node's options of a Cluster): node TLS
   * options as `tls`, a Sentinel's own credentials as `sentinelUsername`/`sentinelPassword`. The settings
   * that keep writes fail-fast always win: `lazyConnect`, `enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`.
   */
  redisOptions: programOnly<RedisOptions>("ioredis options"),
  /** Passed through to `new Redis.Cluster(nodes, options)` (e.g. `natMap`); the fail-fast settings win. */
  clusterOptions: programOnly<ClusterOptions>("ioredis Cluster options"),
  /** Structured logger (pino works). Default: silent. */
  logger: programOnly<Logger>("a logger"),
};

/** Where a client connects: the deployment's settings and the ioredis options. */
const CONNECTION = {
  url: SETTINGS.url,
  username: SETTINGS.username,
  password: SETTINGS.password,
  tls: SETTINGS.tls,
  cluster: SETTINGS.cluster,
  sentinel: SETTINGS.sentinel,
  redisOptions: PROGRAM_OPTIONS.redisOptions,
  clusterOptions: PROGRAM_OPTIONS.clusterOptions,
};

/**
 * The options of `RedisBackend` (and of `listRedisLattices`): unknown options are refused; a Cluster and a
 * Sentinel exclude each other.
 */
export const REDIS_BACKEND_OPTIONS = mapping({ ...SETTINGS, ...PROGRAM_OPTIONS }).superRefine(
  (options, ctx) => {
    if (options.cluster !== undefined && options.sentinel !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: "and redis.sentinel exclude each other: choose one",
        path: ["cluster"],
      });
    }
  },
);

/** The connection options of `createRedisClient` (other members are ignored, so backend options do). */
export const REDIS_CONNECTION_OPTIONS = z.object(CONNECTION);

/** What a program gives for a schema's settings and program-only members: each optional. */
type Given<S extends z.ZodRawShape, P extends z.ZodRawShape> = Partial<SettingsValues<S>> &
  Partial<z.output<z.ZodObject<P>>>;

/**
 * Options of `RedisBackend`: every member optional, its default applied. See the package README's table
 * (the host's `redis` section is the same schema).
 */
export type RedisBackendOptions = Given<typeof SETTINGS, typeof PROGRAM_OPTIONS>;

/** Every option with its default applied. */
export type ResolvedRedisBackendOptions = z.output<typeof REDIS_BACKEND_OPTIONS>;

/** Where a client connects, as the backend's options of the same names say. */
export type RedisConnectionSettings = Pick<RedisBackendOptions, keyof typeof CONNECTION>;

/** Validated connection settings (their defaults applied). */
export type RedisConnection = RedisConnectionSettings & { readonly url: string; readonly tls: boolean };

/**
 * `options` validated with their defaults applied.
 * @throws ConfigurationError naming every bad option as `lattice` names the setting (`redis.url …`)
 */
export function parseRedisBackendOptions(
  options: RedisBackendOptions | undefined,
): ResolvedRedisBackendOptions {
  return parseOptions(REDIS_BACKEND_OPTIONS, options, "redis");
}

/** Every default (the options of `new RedisBackend()`). */
export const REDIS_BACKEND_DEFAULTS: ResolvedRedisBackendOptions = parseRedisBackendOptions({});
