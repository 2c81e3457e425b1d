// One-shot import of what the old hosts hold (their answers to the three `.get`s) into the durable cache.
import type { LatticeCache } from "@lattice-cache/core";
import { ConfigurationError, type Logger, silentLogger } from "@lattice-cache/core/backend";
import { openLegacyConnection } from "./legacy-connection.js";
import { type LegacyConnectionOptions, parseLegacyConnection } from "./legacy-options.js";
import {
  collectLegacyState,
  DEFAULT_GATHER_REQUESTS,
  DEFAULT_GATHER_WINDOW_MS,
} from "./legacy-state-collector.js";
import { legacySubjects } from "./legacy-subjects.js";
import { appliedResult, applyPlan, dryRunResult, notify, planMigration } from "./migration-plan.js";
import {
  type AppliedMigrationResult,
  type DryRunMigrationResult,
  MIGRATION_POLICIES,
  type MigrationPolicy,
  type MigrationProgressListener,
  type MigrationResult,
} from "./migration-result.js";

/** Options of `migrateFromLegacy`. */
export interface MigrateFromLegacyOptions extends LegacyConnectionOptions {
  /** The durable cache to fill (opened; this function waits for `ready()` and does not close it). */
  readonly durable: LatticeCache;
  /** How long to gather `.get` replies. Default 2000 ms. */
  readonly windowMs?: number;
  /** `.get` requests per collection across the window, to reach several old hosts. Default 3. */
  readonly requests?: number;
  /** `create-only` (default) never overwrites a durable value; `legacy-wins` overwrites when different. */
  readonly policy?: MigrationPolicy;
  /** Compare and report only; write nothing. Default false. */
  readonly dryRun?: boolean;
  /** Progress callback. Default: none. */
  readonly onProgress?: MigrationProgressListener;
  /** Structured logger. Default: silent. */
  readonly logger?: Logger;
}

/**
 * Gathers what the old hosts answer to the three `.get`s — every reply within `windowMs`, from several
 * requests so several queue members answer — merges them, and writes them to the durable cache under
 * `policy`. Idempotent: values already equal are `unchanged`, so a second run changes nothing.
 * Nothing answering is not an error: the result simply has nothing to create.
 */
export function migrateFromLegacy(
  options: MigrateFromLegacyOptions & { dryRun: true },
): Promise<DryRunMigrationResult>;
export function migrateFromLegacy(
  options: MigrateFromLegacyOptions & { dryRun?: false },
): Promise<AppliedMigrationResult>;
export function migrateFromLegacy(options: MigrateFromLegacyOptions): Promise<MigrationResult>;
export async function migrateFromLegacy(options: MigrateFromLegacyOptions): Promise<MigrationResult> {
  const started = Date.now();
  const policy = checkPolicy(options.policy);
  const legacy = parseLegacyConnection(options);
  const windowMs = options.windowMs ?? DEFAULT_GATHER_WINDOW_MS;
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new ConfigurationError(`windowMs must be a positive number (got ${windowMs})`, {
      field: "windowMs",
    });
  }
  const subjects = legacySubjects(legacy.prefix);
  const logger = options.logger ?? silentLogger;
  await options.durable.ready();
  const connection = await openLegacyConnection(legacy, {
    label: "legacy",
    name: "lattice-cache migrate --from legacy",
    noEcho: true,
    logger,
  });
  try {
    const collected = await collectLegacyState(connection.nc, subjects, {
      windowMs,
      requests: options.requests ?? DEFAULT_GATHER_REQUESTS,
      onProgress: options.onProgress,
    });
    const { source } = collected;
    if (source.conflicts.length > 0) {
      logger.warn(
        { conflicts: source.conflicts.length },
        "old hosts disagree on some keys (drift); taking the value most of them reported",
      );
    }
    const plan = planMigration(options.durable, collected.records, policy);
    if (options.dryRun) {
      const result = dryRunResult(plan, source, started);
      notify(options.onProgress, { phase: "done", durationMs: result.durationMs });
      return result;
    }
    const applied = await applyPlan(options.durable, plan, policy, options.onProgress);
    const result = appliedResult(applied, source, started);
    notify(options.onProgress, { phase: "done", durationMs: result.durationMs });
    return result;
  } finally {
    await connection.close();
  }
}

/** Validates a migration policy (default `create-only`). */
export function checkPolicy(policy: MigrationPolicy | undefined): MigrationPolicy {
  const chosen = policy ?? "create-only";
  if (!MIGRATION_POLICIES.includes(chosen)) {
    throw new ConfigurationError(`unknown migration policy ${JSON.stringify(policy)}`, {
      field: "policy",
      allowed: MIGRATION_POLICIES,
    });
  }
  return chosen;
}
