// @lattice-cache/host — the only public door of the package: what a program embedding the host uses (the
// list, with what each is for, is the README's "Public API"). Tests import modules directly; nothing here is
// test-only.
import "reflect-metadata";

export { statusChannelContext } from "./audit/host-status-channel.js";
export type { HostStatusReport } from "./audit/host-status-report.js";
export type { StatusBus } from "./audit/status-bus.js";
export type { StatusChannelContext } from "./audit/status-channel-context.js";
export { type GatheredStatus, type ReceivedReport, StatusIntake } from "./audit/status-intake.js";
export { STATUS_LIMITS } from "./audit/status-limits.js";
export { encodeStatusRequest, newStatusRequest, type StatusRequest } from "./audit/status-request.js";
export { StatusResponder } from "./audit/status-responder.js";
// Metric names (the Prometheus contract: dashboards and alerts use them).
export { BRIDGE_COUNTER_METRICS, BRIDGE_GAUGE_METRICS } from "./bridge/bridge-metrics.js";
// The command line.
export { EXIT_CODES, type ExitCode } from "./cli/exit-codes.js";
export { type RunCliOptions, runCli } from "./cli/program.js";
// Adding a backend: its registration, its config section, its status channel and doctor checks.
export {
  type BackendConfig,
  type BackendRegistration,
  BackendRegistry,
} from "./composition/backend-registry.js";
export { createDefaultBackendRegistry } from "./composition/builtin-backends.js";
// Building and running a host.
export {
  createHostContainer,
  type HostContainerOptions,
  openLatticeCache,
} from "./composition/host-container.js";
export {
  BACKEND,
  BACKEND_FACTORY,
  BACKEND_REGISTRY,
  CONFIG,
  LATTICE_CACHE,
  LATTICE_LISTING,
  LOGGER,
  METRICS,
  resolveToken,
  type Token,
} from "./composition/tokens.js";
// Configuration.
export type { GlobalFlags } from "./config/config-flags.js";
export { type ConfigSection, configSection } from "./config/config-section.js";
export type { CoreConfig, LogLevel } from "./config/core-settings.js";
export { DEFAULT_CONFIG, HOST_CONFIG_SCHEMA, type HostConfig } from "./config/host-config.js";
export { type LoadConfigOptions, loadConfig } from "./config/load-config.js";
export { maskSecrets } from "./config/mask-secrets.js";
export { type SettingFacts, setting, settingGroup } from "./config/setting.js";
export * as settingTypes from "./config/setting-types.js";
export type { CheckOutcome, DoctorCheck } from "./doctor/doctor-check.js";
export { type ListeningAddress, type StatusSection, StatusServer } from "./http/status-server.js";
export { createHostLogger, type HostLogger } from "./observability/host-logger.js";
export { HostMetrics, METRIC_NAMES } from "./observability/host-metrics.js";
export type { HostState } from "./observability/host-states.js";
export { HostRuntime } from "./runtime/host-runtime.js";
export { type RunHostHooks, runHostUntilStopped } from "./runtime/run-host.js";
export { LATTICE_VERSION } from "./version.js";
