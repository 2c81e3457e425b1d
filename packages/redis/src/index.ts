// @lattice-cache/redis — the only public door of the package.

export type { ChangeLogEntry } from "./change-log-entry.js";
export { decodeChangeLogEntry } from "./change-log-entry.js";
export { decodeEntryRecord, type EntryRecord, encodeEntryRecord } from "./entry-record.js";
export { RedisBackend } from "./redis-backend.js";
export {
  REDIS_BACKEND_DEFAULTS,
  type RedisBackendOptions,
  type RedisClusterNode,
  type RedisClusterSettings,
  type RedisSentinelSettings,
} from "./redis-backend-options.js";
export { type RedisKeyLayout, redisKeys } from "./redis-keys.js";
