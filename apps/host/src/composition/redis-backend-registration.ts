// `backend: redis` — keys and a change-log stream in Redis (single server, Cluster or Sentinel) via ioredis.
import { RedisBackend, type RedisBackendOptions } from "@lattice-cache/redis";
import { ConfigurationError } from "@lattice-cache/core";
import type { DependencyContainer } from "tsyringe";
import { RedisStatusBus } from "../audit/redis-status-bus.js";
import type { HostConfig } from "../config/host-config.js";
import { maskUrlCredentials } from "../config/mask-secrets.js";
import type { BackendRegistration } from "./backend-registry.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The redis backend's options from the host's configuration. */
export function redisOptions(config: HostConfig, container: DependencyContainer): RedisBackendOptions {
  const redis = config.redis;
  return {
    url: redis.url,
    prefix: config.prefix,
    username: redis.username,
    password: redis.password,
    tls: redis.tls ? {} : undefined,
    cluster: redis.cluster ? { nodes: redis.cluster } : undefined,
    sentinel: redis.sentinel
      ? {
          name: redis.sentinel.name,
          sentinels: redis.sentinel.sentinels.map((s) => hostPort(s, "redis.sentinel.sentinels")),
        }
      : undefined,
    changeLogLength: redis.changeLogLength,
    connectTimeoutMs: config.connectTimeoutMs,
    logger: resolveToken(container, LOGGER),
  };
}

function hostPort(text: string, field: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text.replace(/^redis:\/\//, ""));
  if (!match)
    throw new ConfigurationError(`${field} entries must be host:port (got ${JSON.stringify(text)})`, {
      field,
    });
  return { host: match[1] as string, port: Number(match[2]) };
}

function redisTarget(config: HostConfig): string {
  const redis = config.redis;
  if (redis.cluster) return `Redis Cluster at ${redis.cluster.join(",")}`;
  if (redis.sentinel)
    return `Redis Sentinel master ${redis.sentinel.name} via ${redis.sentinel.sentinels.join(",")}`;
  return `Redis at ${maskUrlCredentials(redis.url)}`;
}

/** `backend: redis`. */
export const redisBackendRegistration: BackendRegistration = {
  name: "redis",
  description: "Redis (single server, Cluster or Sentinel) through ioredis",
  create: (config, container) => new RedisBackend(redisOptions(config, container)),
  target: redisTarget,
  statusBus: (config, container) => new RedisStatusBus(config, resolveToken(container, LOGGER)),
};
