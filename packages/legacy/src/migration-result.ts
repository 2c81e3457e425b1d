// The shapes one-shot migrations report: counts per collection, a diff for dry runs, progress events.
import type { CollectionName, CollectionValues } from "@lattice-cache/core";

/** How a migration treats a key the durable cache already holds with another value. */
export type MigrationPolicy = "create-only" | "legacy-wins";

/** The migration policies, for validation messages. */
export const MIGRATION_POLICIES: readonly MigrationPolicy[] = ["create-only", "legacy-wins"];

/** What a migration does (or would do) with one key. */
export type MigrationAction = "create" | "update" | "skip" | "unchanged";

/** One line of a dry run's diff. */
export type MigrationDiffEntry = {
  [C in CollectionName]: {
    readonly collection: C;
    /** Storage key, e.g. `LINKDEF_…`. */
    readonly key: string;
    /** `create`: missing in the durable cache; `update`: differs and the policy overwrites; `skip`: differs and the policy keeps the durable value; `unchanged`: equal. */
    readonly action: MigrationAction;
    /** The durable value now, when there is one. */
    readonly before: CollectionValues[C] | undefined;
    /** The source's value. */
    readonly after: CollectionValues[C];
  };
}[CollectionName];

/** Counts of a dry run, overall or for one collection. */
export interface DryRunCounts {
  /** Keys the durable cache lacks: a real run creates them. */
  wouldCreate: number;
  /** Keys with another durable value that a real run overwrites (`legacy-wins` only). */
  wouldUpdate: number;
  /** Keys with another durable value that the policy keeps (`create-only`). */
  skipped: number;
  /** Keys whose durable value already equals the source's. */
  unchanged: number;
}

/** Counts of a real run, overall or for one collection. */
export interface AppliedCounts {
  created: number;
  updated: number;
  /** Kept by the policy, including keys created by someone else while the migration ran. */
  skipped: number;
  unchanged: number;
  /** Writes that failed (see `failures`); running again retries them. */
  failed: number;
}

/** One write that failed. */
export interface MigrationFailure {
  readonly collection: CollectionName;
  readonly key: string;
  /** The lattice-cache error code (`BACKEND_UNAVAILABLE`, …) or `UNKNOWN`. */
  readonly code: string;
  readonly message: string;
}

/** Where the data came from, and what was found there. */
export type MigrationSource =
  | {
      readonly kind: "legacy";
      /** Replies received per collection (one per answering old host and request). */
      readonly replies: Readonly<Record<CollectionName, number>>;
      /** Distinct keys found. */
      readonly records: number;
      /** Items refused as undecodable or invalid. */
      readonly invalid: number;
      /** Replies from migration bridges (they mirror the durable side), not used. */
      readonly bridgeReplies: number;
      /** Keys the old hosts disagreed on (drift); the value most hosts reported was taken. */
      readonly conflicts: readonly {
        readonly collection: CollectionName;
        readonly key: string;
        readonly variants: number;
      }[];
    }
  | {
      readonly kind: "stream";
      /** The stream's name, `LATTICECACHE_{prefix}`. */
      readonly stream: string;
      /** False when the stream does not exist (nothing to migrate). */
      readonly found: boolean;
      /** Messages read (the last one of each subject). */
      readonly messages: number;
      /** Distinct keys found. */
      readonly records: number;
      /** Link definitions marked `deleted: true`, not migrated. */
      readonly deletedSkipped: number;
      /** Messages refused (unknown subject, not JSON, invalid value). */
      readonly invalid: number;
      /** True when the stream was deleted after a complete, failure-free run (`deleteSource`). */
      readonly sourceDeleted: boolean;
    };

/** What a dry run found: what a real run would do, and the diff. */
export interface DryRunMigrationResult extends DryRunCounts {
  readonly dryRun: true;
  readonly perCollection: Readonly<Record<CollectionName, DryRunCounts>>;
  /** Every key found, with its action (sorted by collection, then key). */
  readonly diff: readonly MigrationDiffEntry[];
  readonly source: MigrationSource;
  readonly durationMs: number;
}

/** What a real run did. */
export interface AppliedMigrationResult extends AppliedCounts {
  readonly dryRun: false;
  readonly perCollection: Readonly<Record<CollectionName, AppliedCounts>>;
  readonly failures: readonly MigrationFailure[];
  readonly source: MigrationSource;
  readonly durationMs: number;
}

/** The result of `migrateFromLegacy` / `migrateFromStream`; branch on `dryRun`. */
export type MigrationResult = DryRunMigrationResult | AppliedMigrationResult;

/** Progress of a migration, for a progress line or bar. */
export type MigrationProgress =
  | {
      /** `migrateFromLegacy`: collecting `.get` replies. */
      readonly phase: "gathering";
      readonly replies: number;
      readonly elapsedMs: number;
      readonly windowMs: number;
    }
  | {
      /** `migrateFromStream`: reading the stream. */
      readonly phase: "reading";
      readonly messages: number;
      /** Messages the consumer still has to deliver, when known. */
      readonly pending: number | undefined;
    }
  | {
      /** Comparing with the durable cache and writing (dry run: comparing only). */
      readonly phase: "writing";
      readonly done: number;
      readonly total: number;
    }
  | {
      /** `migrateFromStream` with `deleteSource`: deleting the old stream. */
      readonly phase: "deleting-source";
      readonly stream: string;
    }
  | { readonly phase: "done"; readonly durationMs: number };

/** Called with each progress step. Must not throw (a throwing callback is ignored). */
export type MigrationProgressListener = (progress: MigrationProgress) => void;
