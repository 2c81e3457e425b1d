// @lattice-cache/redis — the public door of the package. Helpers for tests: `@lattice-cache/redis/testing`;
// the `lattice` host's plugin: `@lattice-cache/redis/host`.

export { listRedisLattices } from "./lattice-listing.js";
export type { RedisClient } from "./lua-scripts.js";
export { RedisBackend } from "./redis-backend.js";
export {
  REDIS_BACKEND_DEFAULTS,
  REDIS_BACKEND_OPTIONS,
  type RedisBackendOptions,
  type RedisConnectionSettings,
} from "./redis-backend-options.js";
export { createRedisClient, type RedisClientRole } from "./redis-client-factory.js";
export { toLatticeError } from "./redis-errors.js";
export { type RedisKeyLayout, redisKeys } from "./redis-keys.js";
