// @lattice-cache/host — the only public door of the package: what a program embedding the host uses (the
// list, with what each is for, is the README's "Public API"). Tests import modules directly; nothing here is
// test-only.
import "reflect-metadata";

// What a backend plugin is written against (settings, doctor checks, status channel) is @lattice-cache/plugin.
// Metric names (the Prometheus contract: dashboards and alerts use them).
export { BRIDGE_COUNTER_METRICS, BRIDGE_GAUGE_METRICS } from "./bridge/bridge-metrics.js";
// The command line.
export { EXIT_CODES, type ExitCode } from "./cli/exit-codes.js";
export { type RunCliOptions, runCli } from "./cli/program.js";
// Backends are plugins (their contract: @lattice-cache/plugin); a host holds them in a registry.
export { BackendRegistry } from "./composition/backend-registry.js";
export { createDefaultBackendRegistry } from "./composition/builtin-backends.js";
// Building and running a host.
export {
  createHostContainer,
  type HostContainerOptions,
  openLatticeCache,
} from "./composition/host-container.js";
export { pluginHostOf } from "./composition/plugin-host.js";
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
export type { CoreConfig, LogLevel } from "./config/core-settings.js";
export { DEFAULT_CONFIG, HOST_CONFIG_SCHEMA, type HostConfig } from "./config/host-config.js";
export { type LoadConfigOptions, loadConfig } from "./config/load-config.js";
export { maskSecrets } from "./config/mask-secrets.js";
export { type ListeningAddress, type StatusSection, StatusServer } from "./http/status-server.js";
export { createHostLogger, type HostLogger } from "./observability/host-logger.js";
export { HostMetrics, METRIC_NAMES } from "./observability/host-metrics.js";
export { HostRuntime } from "./runtime/host-runtime.js";
export { type RunHostHooks, runHostUntilStopped } from "./runtime/run-host.js";
// Export and import: the work of `lattice export` and `lattice import`, for programs (and the bench) in-process.
export { type CheckedFile, checkExportFile, readExportEntries } from "./transfer/export-file-reader.js";
export { ExportFile, type ExportOutput } from "./transfer/export-output.js";
export { type ExportOptions, type ExportReport, exportLattice } from "./transfer/exporter.js";
export {
  type ImportMode,
  type ImportOptions,
  type ImportSummary,
  type ImportTarget,
  importEntries,
} from "./transfer/import-writer.js";
export type { ExportHeader, TransferEntry } from "./transfer/transfer-format.js";
export { LATTICE_VERSION } from "./version.js";
