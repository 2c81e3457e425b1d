// @lattice-cache/redis — the public door of the package. Helpers for tests: `@lattice-cache/redis/testing`.

export { listRedisLattices } from "./lattice-listing.js";
export type { RedisClient } from "./lua-scripts.js";
export { RedisBackend } from "./redis-backend.js";
export {
  REDIS_BACKEND_DEFAULTS,
  type RedisBackendOptions,
  type RedisClusterNode,
  type RedisClusterSettings,
  type RedisSentinelSettings,
} from "./redis-backend-options.js";
export {
  createRedisClient,
  type RedisClientRole,
  type RedisConnectionSettings,
} from "./redis-client-factory.js";
export { toLatticeError } from "./redis-errors.js";
export { type RedisKeyLayout, redisKeys } from "./redis-keys.js";
