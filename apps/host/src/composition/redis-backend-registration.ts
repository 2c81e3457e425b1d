// `backend: redis` — keys and a change-log stream in Redis (single server, Cluster or Sentinel) via ioredis.
// Its settings are the `redis` section (redis/redis-settings.ts: the host's status channel reads them too).
import { redactUrl } from "@lattice-cache/core";
import {
  configSection,
  defineBackendPlugin,
  type PluginConfig,
  type PluginHost,
  provisionOf,
} from "@lattice-cache/plugin";
import { listRedisLattices, RedisBackend, type RedisBackendOptions } from "@lattice-cache/redis";
import { RedisStatusBus } from "../audit/redis-status-bus.js";
import { redisConnectionSettings } from "../redis/redis-client.js";
import { REDIS_SETTINGS } from "../redis/redis-settings.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The redis backend's settings: `redis.*`. */
export const redisConfigSection = configSection("redis", REDIS_SETTINGS);

/** The configuration the redis backend reads. */
export type RedisConfig = PluginConfig<typeof redisConfigSection>;

/** The redis backend's options from the host's configuration. */
export function redisOptions(config: RedisConfig, host: PluginHost): RedisBackendOptions {
  return {
    ...redisConnectionSettings(config.redis),
    prefix: config.prefix,
    provision: provisionOf(config),
    changeLogLength: config.redis.changeLogLength,
    connectTimeoutMs: config.connectTimeoutMs,
    logger: host.logger,
  };
}

function redisTarget(config: RedisConfig): string {
  const redis = config.redis;
  if (redis.cluster) return `Redis Cluster at ${redis.cluster.join(",")}`;
  if (redis.sentinel)
    return `Redis Sentinel master ${redis.sentinel.name} via ${redis.sentinel.sentinels.join(",")}`;
  return `Redis at ${redactUrl(redis.url)}`;
}

/** `backend: redis`. */
export const redisBackendRegistration = defineBackendPlugin<RedisConfig>({
  name: "redis",
  description: "Redis (single server, Cluster or Sentinel) through ioredis",
  config: redisConfigSection,
  create: (config, host) => new RedisBackend(redisOptions(config, host)),
  target: redisTarget,
  lattices: (config, host) => listRedisLattices(redisOptions(config, host)),
  statusBus: (config, host) => new RedisStatusBus(config, host.statusChannel()),
});
