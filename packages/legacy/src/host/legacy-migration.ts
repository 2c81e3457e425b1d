// What a host's commands that move a lattice off the broadcast (`lattice bridge`, `lattice migrate`) are
// built on: the bridge, the one-shot migrations and their results, and where the old hosts are according to
// the host's configuration.

export {
  emptyBridgeCounters,
  LegacyBridge,
  type LegacyBridgeCounters,
  type LegacyBridgeOptions,
  type LegacyBridgeStatus,
} from "../legacy-bridge.js";
export { migrateFromLegacy } from "../migrate-from-legacy.js";
export { migrateFromStream } from "../migrate-from-stream.js";
export {
  type AppliedMigrationResult,
  type DryRunMigrationResult,
  MIGRATION_POLICIES,
  type MigrationDiffEntry,
  type MigrationPolicy,
  type MigrationProgress,
  type MigrationResult,
  type MigrationSource,
} from "../migration-result.js";
export { legacyConnectionOf } from "./legacy-plugin.js";
