// `lattice import`'s pass 2 (and `lattice copy`'s writing half): each entry compared with the target's current
// value (equal bytes: unchanged) and written with compare-and-swap — the revision read as the expected one, 0 to
// create — at up to 256 writes in flight; a conflict re-reads and retries. `replace` then deletes what the
// source does not hold, within its collections. Running it again writes nothing (idempotent), and an interrupted
// run, run again, finishes (resumable): every decision is taken from what the target holds now.
// Rules cited here: docs/semantics.md#rule-4, #rule-6.
import { setTimeout as sleep } from "node:timers/promises";
import {
  type CollectionName,
  ConflictError,
  errorText,
  type LatticeCache,
  type WriteOptions,
} from "@lattice-cache/core";
import { sameBytes } from "@lattice-cache/core/backend";
import { OperationalError } from "../cli/cli-errors.js";
import { COLLECTION_CODECS } from "../cli/collection-codecs.js";
import type { TransferEntry } from "./transfer-format.js";

/** `merge`: create or update, never delete; `replace`: also delete what the source does not hold. */
export const IMPORT_MODES = ["merge", "replace"] as const;
/** One of {@link IMPORT_MODES}. */
export type ImportMode = (typeof IMPORT_MODES)[number];

/** Writes in flight at most. */
export const IMPORT_CONCURRENCY = 256;
/** Attempts of one write before a conflict is reported. */
const MAX_ATTEMPTS = 8;

/** What an import did (or, in a dry run, would do). */
export interface ImportSummary {
  readonly mode: ImportMode;
  readonly dryRun: boolean;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly deleted: number;
  readonly conflictsRetried: number;
}

/** Options of {@link importEntries}. */
export interface ImportOptions {
  readonly mode: ImportMode;
  /** Compare only; write nothing. */
  readonly dryRun: boolean;
  /** The source's collections: `replace` deletes only within them. */
  readonly collections: readonly CollectionName[];
  /** True when the source holds `key` (for `replace`). */
  readonly holds: (key: string) => boolean;
  /** Called after each entry or deletion, with the number done. */
  readonly onProgress?: (done: number) => void;
  /** Writes in flight at most. Default {@link IMPORT_CONCURRENCY}. */
  readonly concurrency?: number;
}

type Outcome = "created" | "updated" | "unchanged" | "deleted";

/** A collection handle, typed loosely: the values are already normalized by their codec. */
interface LooseHandle {
  entryByKey(key: string): { key: string; value: unknown; revision: number; epoch?: string } | undefined;
  entries(): { key: string; value: unknown; revision: number; epoch?: string }[];
  put(value: unknown, options?: WriteOptions): Promise<unknown>;
  delete(ref: unknown, options?: WriteOptions): Promise<unknown>;
}

/**
 * Imports `entries` into `cache` (ready). `cache` undefined: a dry run against a lattice that does not exist yet
 * (everything would be created). Throws `OperationalError` when a write fails (what was written stays; run again).
 */
export async function importEntries(
  cache: LatticeCache | undefined,
  entries: AsyncIterable<TransferEntry> | Iterable<TransferEntry>,
  options: ImportOptions,
): Promise<ImportSummary> {
  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, conflictsRetried: 0 };
  const pool = new WritePool(options.concurrency ?? IMPORT_CONCURRENCY);
  let done = 0;
  const finished = (outcome: Outcome | undefined) => {
    if (outcome) counts[outcome]++;
    options.onProgress?.(++done);
  };
  const retry = async (error: unknown, attempt: number) => {
    if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS || !cache) throw error;
    counts.conflictsRetried++;
    // The replica may not have the change that won yet: wait for it, then decide again.
    if (error.currentRevision !== undefined && !error.otherHistory) {
      await cache.waitForRevision(error.currentRevision, 10_000);
    } else await sleep(50 * attempt);
  };

  for await (const entry of entries) {
    await pool.start(entry.key, async () => {
      if (!cache) return finished("created");
      const handle = handleOf(cache, entry.collection);
      for (let attempt = 1; ; attempt++) {
        const current = handle.entryByKey(entry.key);
        if (current && sameBytes(COLLECTION_CODECS[entry.collection].encode(current.value), entry.bytes)) {
          return finished("unchanged");
        }
        const outcome = current ? "updated" : "created";
        if (options.dryRun) return finished(outcome);
        try {
          await handle.put(entry.value, casOf(current));
          return finished(outcome);
        } catch (error) {
          await retry(error, attempt);
        }
      }
    });
  }
  await pool.drain();

  if (options.mode === "replace" && cache) {
    for (const collection of options.collections) {
      const handle = handleOf(cache, collection);
      for (const stale of handle.entries()) {
        if (options.holds(stale.key)) continue;
        await pool.start(stale.key, async () => {
          for (let attempt = 1; ; attempt++) {
            const current = handle.entryByKey(stale.key);
            if (!current) return finished(undefined);
            if (options.dryRun) return finished("deleted");
            try {
              await handle.delete(refOf(collection, current.value), casOf(current));
              return finished("deleted");
            } catch (error) {
              await retry(error, attempt);
            }
          }
        });
      }
    }
    await pool.drain();
  }
  return { mode: options.mode, dryRun: options.dryRun, ...counts };
}

function casOf(current: { revision: number; epoch?: string } | undefined): WriteOptions {
  if (!current) return { expectedRevision: 0 };
  return current.epoch === undefined
    ? { expectedRevision: current.revision }
    : { expectedRevision: current.revision, expectedEpoch: current.epoch };
}

function handleOf(cache: LatticeCache, collection: CollectionName): LooseHandle {
  return cache[collection] as unknown as LooseHandle;
}

/** The natural key of a normalized value (what `delete` takes). */
function refOf(collection: CollectionName, value: unknown): unknown {
  const v = value as Record<string, string>;
  if (collection === "linkdefs") {
    return { actor_id: v.actor_id, contract_id: v.contract_id, link_name: v.link_name };
  }
  return collection === "claims" ? v.sub : v.oci_url;
}

/** Runs tasks with at most `limit` in flight; the first failure stops new ones and is thrown by `drain`/`start`. */
class WritePool {
  private readonly running = new Set<Promise<void>>();
  private failure: { key: string; error: unknown } | undefined;
  private succeeded = 0;

  constructor(private readonly limit: number) {}

  /** Starts `task` once a place is free. */
  async start(key: string, task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure) await this.drain();
    const running: Promise<void> = task().then(
      () => {
        this.succeeded++;
        this.running.delete(running);
      },
      (error: unknown) => {
        this.failure ??= { key, error };
        this.running.delete(running);
      },
    );
    this.running.add(running);
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    this.rethrow();
  }

  private rethrow(): void {
    if (!this.failure) return;
    const { key, error } = this.failure;
    throw new OperationalError(
      `writing ${key} failed (${errorText(error)}) after ${this.succeeded} entries were done; ` +
        "what was written stays — run the same command again to finish (it is idempotent)",
      { cause: error },
    );
  }
}
