// `backend: redis` — keys and a change-log stream in Redis (single server, Cluster or Sentinel) via ioredis.
// Its settings are the `redis` section: the same schemas as the backend's options (redis-settings.ts), which
// the host's status channel reads too.
import { redactUrl } from "@lattice-cache/core";
import {
  configSection,
  defineBackendPlugin,
  type PluginConfig,
  type PluginHost,
  provisionOf,
} from "@lattice-cache/plugin";
import { listRedisLattices } from "../lattice-listing.js";
import { RedisBackend } from "../redis-backend.js";
import type { RedisBackendOptions } from "../redis-backend-options.js";
import { REDIS_SETTINGS } from "../redis-settings.js";
import { RedisStatusBus } from "./redis-status-bus.js";

/** The redis backend's settings: `redis.*`. */
export const redisConfigSection = configSection("redis", REDIS_SETTINGS);

/** The configuration the redis backend reads. */
export type RedisConfig = PluginConfig<typeof redisConfigSection>;

/** The redis backend's options from the host's configuration. */
export function redisOptions(config: RedisConfig, host: PluginHost): RedisBackendOptions {
  return {
    ...config.redis,
    prefix: config.prefix,
    provision: provisionOf(config),
    connectTimeoutMs: config.connectTimeoutMs,
    logger: host.logger,
  };
}

/** Where the configured deployment is, for messages (credentials redacted). */
export function redisTarget(config: Pick<RedisConfig, "redis">): string {
  const redis = config.redis;
  if (redis.cluster) return `Redis Cluster at ${redis.cluster.join(",")}`;
  if (redis.sentinel)
    return `Redis Sentinel master ${redis.sentinel.name} via ${redis.sentinel.sentinels.join(",")}`;
  return `Redis at ${redactUrl(redis.url)}`;
}

/** `backend: redis`. */
export const redisPlugin = defineBackendPlugin<RedisConfig>({
  name: "redis",
  description: "Redis (single server, Cluster or Sentinel) through ioredis",
  config: redisConfigSection,
  create: (config, host) => new RedisBackend(redisOptions(config, host)),
  target: redisTarget,
  lattices: (config, host) => listRedisLattices(redisOptions(config, host)),
  statusBus: (config, host) => new RedisStatusBus(config, host.statusChannel()),
});
