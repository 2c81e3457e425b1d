// `backend: redis` — keys and a change-log stream in Redis (single server, Cluster or Sentinel) via ioredis.
// Its settings are the `redis` section (redis/redis-settings.ts: the host's status channel reads them too).
import { redactUrl } from "@lattice-cache/core";
import { listRedisLattices, RedisBackend, type RedisBackendOptions } from "@lattice-cache/redis";
import type { DependencyContainer } from "tsyringe";
import { statusChannelContext } from "../audit/host-status-channel.js";
import { RedisStatusBus } from "../audit/redis-status-bus.js";
import { configSection } from "../config/config-section.js";
import { redisConnectionSettings } from "../redis/redis-client.js";
import { REDIS_SETTINGS } from "../redis/redis-settings.js";
import type { BackendConfig, BackendRegistration } from "./backend-registry.js";
import { provisionOf } from "./lattice-creation.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The redis backend's settings: `redis.*`. */
export const redisConfigSection = configSection("redis", REDIS_SETTINGS);

/** The configuration the redis backend reads. */
export type RedisConfig = BackendConfig<typeof redisConfigSection>;

/** The redis backend's options from the host's configuration. */
export function redisOptions(config: RedisConfig, container: DependencyContainer): RedisBackendOptions {
  return {
    ...redisConnectionSettings(config.redis),
    prefix: config.prefix,
    provision: provisionOf(config),
    changeLogLength: config.redis.changeLogLength,
    connectTimeoutMs: config.connectTimeoutMs,
    logger: resolveToken(container, LOGGER),
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
export const redisBackendRegistration: BackendRegistration<RedisConfig> = {
  name: "redis",
  description: "Redis (single server, Cluster or Sentinel) through ioredis",
  config: redisConfigSection,
  create: (config, container) => new RedisBackend(redisOptions(config, container)),
  target: redisTarget,
  lattices: (config, container) => listRedisLattices(redisOptions(config, container)),
  statusBus: (config, container) => new RedisStatusBus(config, statusChannelContext(config, container)),
};
