/**
 * `@lattice-cache/test-harness`: starts real nats-server, redis-server (and clusters of both) and PostgreSQL
 * — and any other server a backend needs, through {@link startManagedServer} — on free 127.0.0.1 ports,
 * each in its own temp dir, plus a TCP fault proxy for partition tests, and the credentials to secure them:
 * TLS certificates and NATS operator-mode JWTs with creds files.
 * Everything started is killed and cleaned up at process exit; call {@link disposeAll} in `afterAll`.
 *
 * @packageDocumentation
 */

export { disposeAll } from "./cleanup-registry.js";
export type { FaultMode, FaultProxyHandle, FaultProxyOptions } from "./fault-proxy.js";
export { startFaultProxy } from "./fault-proxy.js";
export { findExecutable } from "./find-executable.js";
export { freePort } from "./free-port.js";
export type {
  ManagedServer,
  ManagedServerContext,
  ManagedServerOptions,
  ManagedServerProbe,
} from "./managed-server.js";
export { startManagedServer } from "./managed-server.js";
export type { ServerProcessControls } from "./managed-server-handle.js";
export type { NatsClusterHandle, NatsClusterOptions } from "./nats-cluster.js";
export { startNatsCluster } from "./nats-cluster.js";
export type { NatsCredsUser, NatsNkeyUser, NatsOperator, NatsUserPermissions } from "./nats-credentials.js";
export { makeNatsOperator, makeNkeyUser } from "./nats-credentials.js";
export type { NatsServerHandle, NatsServerOptions } from "./nats-server.js";
export { startNatsServer } from "./nats-server.js";
export type { PostgresServerHandle, PostgresServerOptions } from "./postgres-server.js";
export { PostgresNotInstalledError, PostgresQueryError, startPostgresServer } from "./postgres-server.js";
export type { RedisCommandTarget } from "./redis-client.js";
export { redisCommand, redisPipeline } from "./redis-client.js";
export type { RedisClusterHandle, RedisClusterOptions } from "./redis-cluster.js";
export { startRedisCluster } from "./redis-cluster.js";
export type { RedisAclUser } from "./redis-config.js";
export type { RedisServerHandle, RedisServerOptions } from "./redis-server.js";
export { startRedisServer } from "./redis-server.js";
export type { RespValue } from "./resp-codec.js";
export { formatReply, RedisReplyError } from "./resp-codec.js";
export { type StoreFaultSwitches, StoreProxies } from "./store-proxies.js";
export type { TlsCertificates } from "./tls-certificates.js";
export { makeTlsCertificates } from "./tls-certificates.js";
export type { WaitForOptions } from "./wait-for.js";
export { waitFor } from "./wait-for.js";
