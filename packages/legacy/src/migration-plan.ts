// The write half shared by both migrations: compare each source record with the durable cache, then create /
// overwrite / skip under the policy. Comparing by canonical bytes is what makes a second run change nothing.
import {
  COLLECTION_NAMES,
  type CollectionName,
  type LatticeCache,
  type WriteOutcome,
} from "@lattice-cache/core";
import { ConflictError, errorText, LatticeCacheError } from "@lattice-cache/core/backend";
import { type LegacyRecord, storageBytesOf } from "./legacy-wire-codec.js";
import type {
  AppliedCounts,
  AppliedMigrationResult,
  DryRunCounts,
  DryRunMigrationResult,
  MigrationDiffEntry,
  MigrationFailure,
  MigrationPolicy,
  MigrationProgressListener,
  MigrationSource,
} from "./migration-result.js";

/** Writes in flight at once: JetStream puts are request/reply, so throughput comes from concurrency. */
const WRITE_CONCURRENCY = 16;

/** The durable value under a record's key, if live. */
export function durableValueOf(durable: LatticeCache, key: string, collection: CollectionName): unknown {
  switch (collection) {
    case "linkdefs":
      return durable.linkdefs.entryByKey(key)?.value;
    case "claims":
      return durable.claims.entryByKey(key)?.value;
    case "refmaps":
      return durable.refmaps.entryByKey(key)?.value;
  }
}

/** A record as the durable cache holds it under the same key, or undefined. */
export function durableRecordOf(durable: LatticeCache, record: LegacyRecord): LegacyRecord | undefined {
  const value = durableValueOf(durable, record.key, record.collection);
  return value === undefined ? undefined : ({ ...record, value } as LegacyRecord);
}

/** True when both records hold the same canonical storage bytes. */
export function sameBytes(a: LegacyRecord, b: LegacyRecord): boolean {
  return Buffer.from(storageBytesOf(a)).equals(storageBytesOf(b));
}

/** Compares every record with the durable cache (already synced) and decides its action. */
export function planMigration(
  durable: LatticeCache,
  records: readonly LegacyRecord[],
  policy: MigrationPolicy,
): MigrationDiffEntry[] {
  const order = (c: CollectionName) => COLLECTION_NAMES.indexOf(c);
  const sorted = [...records].sort(
    (a, b) => order(a.collection) - order(b.collection) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  return sorted.map((record) => {
    const current = durableRecordOf(durable, record);
    const action =
      current === undefined
        ? "create"
        : sameBytes(current, record)
          ? "unchanged"
          : policy === "legacy-wins"
            ? "update"
            : "skip";
    return {
      collection: record.collection,
      key: record.key,
      action,
      before: current?.value,
      after: record.value,
    } as MigrationDiffEntry;
  });
}

/** Writes one record to its collection. */
export function putRecord(
  durable: LatticeCache,
  record: LegacyRecord,
  expectedRevision: number | undefined,
): Promise<WriteOutcome> {
  const options = expectedRevision === undefined ? {} : { expectedRevision };
  switch (record.collection) {
    case "linkdefs":
      return durable.linkdefs.put(record.value, options);
    case "claims":
      return durable.claims.put(record.value, options);
    case "refmaps":
      return durable.refmaps.put(record.value, options);
  }
}

function emptyDryRun(): DryRunCounts {
  return { wouldCreate: 0, wouldUpdate: 0, skipped: 0, unchanged: 0 };
}

function emptyApplied(): AppliedCounts {
  return { created: 0, updated: 0, skipped: 0, unchanged: 0, failed: 0 };
}

function perCollection<T>(make: () => T): Record<CollectionName, T> {
  return { linkdefs: make(), claims: make(), refmaps: make() };
}

/** The dry-run report of a plan. */
export function dryRunResult(
  plan: readonly MigrationDiffEntry[],
  source: MigrationSource,
  startedAt: number,
): DryRunMigrationResult {
  const total = emptyDryRun();
  const byCollection = perCollection(emptyDryRun);
  for (const entry of plan) {
    for (const counts of [total, byCollection[entry.collection]]) {
      if (entry.action === "create") counts.wouldCreate += 1;
      else if (entry.action === "update") counts.wouldUpdate += 1;
      else if (entry.action === "skip") counts.skipped += 1;
      else counts.unchanged += 1;
    }
  }
  return {
    dryRun: true,
    ...total,
    perCollection: byCollection,
    diff: plan,
    source,
    durationMs: Date.now() - startedAt,
  };
}

/**
 * Carries out a plan. `create-only` creates with `expectedRevision: 0` (when the durable backend has
 * compare-and-swap), so a key someone created meanwhile is skipped, never overwritten; `legacy-wins`
 * writes unconditionally. Failures are collected, not thrown: running again retries them.
 */
export async function applyPlan(
  durable: LatticeCache,
  plan: readonly MigrationDiffEntry[],
  policy: MigrationPolicy,
  onProgress: MigrationProgressListener | undefined,
): Promise<{
  counts: AppliedCounts;
  byCollection: Record<CollectionName, AppliedCounts>;
  failures: MigrationFailure[];
}> {
  const counts = emptyApplied();
  const byCollection = perCollection(emptyApplied);
  const failures: MigrationFailure[] = [];
  const cas = durable.backend.capabilities.compareAndSwap;
  const bump = (collection: CollectionName, field: keyof AppliedCounts) => {
    counts[field] += 1;
    byCollection[collection][field] += 1;
  };
  let done = 0;
  const report = () => notify(onProgress, { phase: "writing", done, total: plan.length });
  const work = async (entry: MigrationDiffEntry): Promise<void> => {
    const record = { collection: entry.collection, key: entry.key, value: entry.after } as LegacyRecord;
    // Re-checked at write time: the cache may have moved since the plan was made.
    const current = durableRecordOf(durable, record);
    try {
      if (current && sameBytes(current, record)) bump(entry.collection, "unchanged");
      else if (current && policy === "create-only") bump(entry.collection, "skipped");
      else {
        await putRecord(
          durable,
          record,
          current === undefined && policy === "create-only" && cas ? 0 : undefined,
        );
        bump(entry.collection, current === undefined ? "created" : "updated");
      }
    } catch (error) {
      if (error instanceof ConflictError) bump(entry.collection, "skipped");
      else {
        bump(entry.collection, "failed");
        failures.push({
          collection: entry.collection,
          key: entry.key,
          code: LatticeCacheError.isInstance(error) ? error.code : "UNKNOWN",
          // The code has its own field: a typed error's message alone, anything else as core describes it.
          message: LatticeCacheError.isInstance(error) ? error.message : errorText(error),
        });
      }
    }
    done += 1;
    report();
  };
  const queue = plan.filter((e) => e.action === "create" || e.action === "update");
  for (const entry of plan) {
    if (entry.action === "unchanged") bump(entry.collection, "unchanged");
    else if (entry.action === "skip") bump(entry.collection, "skipped");
  }
  done = plan.length - queue.length;
  report();
  let next = 0;
  const workers = Array.from({ length: Math.min(WRITE_CONCURRENCY, queue.length) }, async () => {
    while (next < queue.length) {
      const entry = queue[next++] as MigrationDiffEntry;
      await work(entry);
    }
  });
  await Promise.all(workers);
  return { counts, byCollection, failures };
}

/** The report of a real run. */
export function appliedResult(
  applied: {
    counts: AppliedCounts;
    byCollection: Record<CollectionName, AppliedCounts>;
    failures: MigrationFailure[];
  },
  source: MigrationSource,
  startedAt: number,
): AppliedMigrationResult {
  return {
    dryRun: false,
    ...applied.counts,
    perCollection: applied.byCollection,
    failures: applied.failures,
    source,
    durationMs: Date.now() - startedAt,
  };
}

/** Calls a progress listener, shielding the migration from its exceptions. */
export function notify(
  listener: MigrationProgressListener | undefined,
  progress: Parameters<MigrationProgressListener>[0],
): void {
  if (!listener) return;
  try {
    listener(progress);
  } catch {
    // A progress display must not break a migration.
  }
}
