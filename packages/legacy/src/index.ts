// @lattice-cache/legacy — the public door of the package: the generation-1 broadcast backend, the migration
// bridge and the one-shot migrations. A simulated old host for tests: `@lattice-cache/legacy/testing`.

export { LegacyBackend, type LegacyBackendCounters } from "./legacy-backend.js";
export {
  DEFAULT_BROADCAST_DELAY_MS,
  emptyBridgeCounters,
  LegacyBridge,
  type LegacyBridgeCounters,
  type LegacyBridgeOptions,
  type LegacyBridgeStatus,
} from "./legacy-bridge.js";
export {
  DEFAULT_LEGACY_CONNECT_TIMEOUT_MS,
  DEFAULT_LEGACY_GET_TIMEOUT_MS,
  DEFAULT_LEGACY_PUBLISH_TIMEOUT_MS,
  type LegacyBackendOptions,
  type LegacyClientOptions,
  type LegacyConnectionOptions,
} from "./legacy-options.js";
export { DEFAULT_GATHER_REQUESTS, DEFAULT_GATHER_WINDOW_MS } from "./legacy-state-collector.js";
export { DEFAULT_LATTICE_PREFIX, type LegacySubjects, legacySubjects } from "./legacy-subjects.js";
export { type MigrateFromLegacyOptions, migrateFromLegacy } from "./migrate-from-legacy.js";
export {
  DEFAULT_STREAM_IDLE_MS,
  type MigrateFromStreamOptions,
  migrateFromStream,
} from "./migrate-from-stream.js";
export {
  type AppliedCounts,
  type AppliedMigrationResult,
  type DryRunCounts,
  type DryRunMigrationResult,
  MIGRATION_POLICIES,
  type MigrationAction,
  type MigrationDiffEntry,
  type MigrationFailure,
  type MigrationPolicy,
  type MigrationProgress,
  type MigrationProgressListener,
  type MigrationResult,
  type MigrationSource,
} from "./migration-result.js";
