// @lattice-cache/redis/host — for the `lattice` host (and hosts like it), not for programs that embed the
// cache: the redis backend as a plugin of the `@lattice-cache/plugin` contract (its `redis` config section,
// which is the backend's own options schema, and its status channel on Redis pub/sub).

export {
  type RedisConfig,
  redisConfigSection,
  redisOptions,
  redisPlugin,
  redisTarget,
} from "./redis-plugin.js";
export {
  isRedisReplyChannel,
  RedisStatusBus,
  type RedisStatusBusConfig,
  redisStatusChannels,
} from "./redis-status-bus.js";
