// @lattice-cache/host — the only public door of the package: the composition root, config loading, the
// backend registry, the host runtime and the CLI, for embedding and for tests.
import "reflect-metadata";

export {
  decodeHostStatusReport,
  type HostFacts,
  type HostStatusReport,
  hostStatusReport,
} from "./audit/host-status-report.js";
export { type AuditedHost, auditLattice, type LatticeAudit, type SplitBrain } from "./audit/lattice-audit.js";
export { MemoryStatusBus } from "./audit/memory-status-bus.js";
export { NatsStatusBus, natsStatusSubject } from "./audit/nats-status-bus.js";
export { RedisStatusBus, redisStatusChannels } from "./audit/redis-status-bus.js";
export { DEFAULT_STATUS_WINDOW_MS, type StatusBus, type StatusBusFactory } from "./audit/status-bus.js";

export { type BridgeStatusBody, HostedBridge } from "./bridge/hosted-bridge.js";
export {
  BRIDGE_COUNTER_METRICS,
  BRIDGE_GAUGE_METRICS,
  registerBridgeMetrics,
} from "./bridge/bridge-metrics.js";
export { CliContext, type CliIo, type CommandConfigLayers } from "./cli/cli-context.js";
export { EntryNotFoundError, OperationalError, SplitBrainError, UsageError } from "./cli/cli-errors.js";
export { EXIT_CODES, type ExitCode, exitCodeOf } from "./cli/exit-codes.js";
export { buildProgram, type RunCliOptions, runCli } from "./cli/program.js";
export { LATTICE_VERSION } from "./version.js";
export {
  type BackendDiagnosis,
  type BackendFactory,
  BackendRegistry,
  type BackendRegistration,
} from "./composition/backend-registry.js";
export { createDefaultBackendRegistry } from "./composition/builtin-backends.js";
export {
  createHostContainer,
  type HostContainerOptions,
  openLatticeCache,
} from "./composition/host-container.js";
export {
  jetstreamBackendRegistration,
  jetstreamOptions,
} from "./composition/jetstream-backend-registration.js";
export {
  legacyBackendRegistration,
  legacyConnectionOptions,
  legacyOptions,
} from "./composition/legacy-backend-registration.js";
export { memoryBackendRegistration } from "./composition/memory-backend-registration.js";
export { closeCacheWithin, openCacheWithDeadline } from "./composition/open-cache.js";
export { redisBackendRegistration, redisOptions } from "./composition/redis-backend-registration.js";
export {
  BACKEND,
  BACKEND_FACTORY,
  BACKEND_REGISTRY,
  CONFIG,
  LATTICE_CACHE,
  LOGGER,
  METRICS,
  resolveToken,
  STATUS_BUS_FACTORY,
  TEST_HOOKS,
  type Token,
} from "./composition/tokens.js";
export { CONFIG_FILE_VARIABLE, ENV_BINDINGS, type EnvBinding, envLayer } from "./config/config-env.js";
export { type ConfigFormat, parseConfigText, readConfigFile } from "./config/config-file.js";
export { FLAG_BINDINGS, flagsLayer, type GlobalFlags } from "./config/config-flags.js";
export { type ConfigLayer, mergeLayers, type RawConfig } from "./config/config-layer.js";
export {
  type BridgeConfig,
  type BucketConfig,
  DEFAULT_BACKEND,
  DEFAULT_BRIDGE_HTTP_PORT,
  DEFAULT_BRIDGE_POLICY,
  DEFAULT_CONFIG,
  DEFAULT_HTTP_PORT,
  DEFAULT_NATS_URL,
  DEFAULT_PREFIX,
  DEFAULT_REDIS_URL,
  type HostConfig,
  type HttpConfig,
  LOG_LEVELS,
  type LogLevel,
  type NatsAuthConfig,
  type NatsConfig,
  type NatsTlsConfig,
  PROVISION_MODES,
  type ProvisionMode,
  type RedisConfig,
  type RedisSentinelConfig,
  STORAGE_KINDS,
  type StorageKind,
} from "./config/host-config.js";
export { type LoadConfigOptions, loadConfig } from "./config/load-config.js";
export { MASK, maskSecrets, maskUrlCredentials } from "./config/mask-secrets.js";
export { validateConfig, type ValidationContext } from "./config/validate-config.js";
export type { CheckOutcome, DoctorCheck } from "./doctor/doctor-check.js";
export { type ListeningAddress, type StatusSection, StatusServer } from "./http/status-server.js";
export { renderStatusPage } from "./http/status-page.js";
export { TEST_HOOKS_VARIABLE, testHooksEnabled } from "./http/test-hooks.js";
export { createHostLogger, type HostLogger } from "./observability/host-logger.js";
export { HOST_STATES, type HostState, HostMetrics, METRIC_NAMES } from "./observability/host-metrics.js";
export {
  findNatsServer,
  latticeDataDir,
  type LocalNatsServer,
  startLocalNatsServer,
} from "./nats/local-nats-server.js";
export { type NatsProbe, type NatsServerInfo, natsAddress, probeNats } from "./nats/nats-probe.js";
export { HostRuntime } from "./runtime/host-runtime.js";
export { runHostUntilStopped, type RunHostHooks } from "./runtime/run-host.js";
export { nextSteps, shellQuote } from "./up/next-steps.js";
