// `lattice import`'s pass 2 (and `lattice copy`'s writing half), without a replica: the target's state is read
// first with the exporter's flat snapshot (lattice-snapshot.ts: per key its latest revision, its value in a
// spool), then each entry is compared with it (equal bytes: unchanged) and written straight to the backend with
// compare-and-swap — the revision read as the expected one, 0 to create — at up to 256 writes in flight. A
// conflict re-reads that key from the store and decides again. `replace` then deletes the snapshot's live keys
// the source does not hold, within its collections. Running it again writes nothing (idempotent), and an
// interrupted run, run again, finishes (resumable): every decision is taken from what the target holds now.
// Rules cited here: docs/semantics.md#rule-4, #rule-6.
import { setTimeout as sleep } from "node:timers/promises";
import {
  assertKeySafe,
  type CollectionName,
  ConflictError,
  collectionOfKey,
  errorText,
  UnsupportedOperationError,
  ValueTooLargeError,
} from "@lattice-cache/core";
import { type LatticeBackend, sameBytes } from "@lattice-cache/core/backend";
import { OperationalError } from "../cli/cli-errors.js";
import { type KeyState, takeSnapshot } from "./lattice-snapshot.js";
import { entryFromStored, type TransferEntry } from "./transfer-format.js";

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

/** Where an import writes: an opened backend, and what its writes carry. */
export interface ImportTarget {
  readonly backend: LatticeBackend;
  /** The writing host's id, stored as each write's origin. */
  readonly origin: string;
  /** The largest encoded value written (the target's `maxValueBytes`). */
  readonly maxValueBytes: number;
}

/**
 * The target of an opened backend under a one-shot command's configuration (its host id, which the one-shot
 * helpers always fill in, is the writes' origin).
 */
export function importTargetOf(
  backend: LatticeBackend,
  config: { readonly hostId?: string; readonly maxValueBytes: number },
): ImportTarget {
  return { backend, origin: config.hostId ?? "cli", maxValueBytes: config.maxValueBytes };
}

/** Options of {@link importEntries}. */
export interface ImportOptions {
  readonly mode: ImportMode;
  /** Compare only; write nothing. */
  readonly dryRun: boolean;
  /** The source's collections: the target's state is read, and `replace` deletes, only within them. */
  readonly collections: readonly CollectionName[];
  /** True when the source holds `key` (for `replace`). */
  readonly holds: (key: string) => boolean;
  /** The longest silence of the target's feed while its state is read, in ms. */
  readonly idleTimeoutMs: number;
  /** Called as the target's state is read, with the changes received so far. */
  readonly onReceived?: (received: number) => void;
  /** Called once the target's state is read, before the first write. */
  readonly onTargetRead?: (state: { readonly entries: number; readonly revision: number }) => void;
  /** Called after each entry or deletion, with the number done. */
  readonly onProgress?: (done: number) => void;
  /** Writes in flight at most. Default {@link IMPORT_CONCURRENCY}. */
  readonly concurrency?: number;
  /** Where the snapshot's spool goes. Default: the OS's temporary directory. */
  readonly spoolDir?: string;
}

type Outcome = "created" | "updated" | "unchanged" | "deleted";

/**
 * Imports `entries` into `target`. `target` undefined: a dry run against a lattice that does not exist yet
 * (everything would be created). Throws `OperationalError` when a write fails (what was written stays; run again),
 * `UnsupportedOperationError` when the backend has no compare-and-swap.
 */
export async function importEntries(
  target: ImportTarget | undefined,
  entries: AsyncIterable<TransferEntry> | Iterable<TransferEntry>,
  options: ImportOptions,
): Promise<ImportSummary> {
  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, conflictsRetried: 0 };
  let done = 0;
  const finished = (outcome: Outcome | undefined) => {
    if (outcome) counts[outcome]++;
    options.onProgress?.(++done);
  };
  const summary = (): ImportSummary => ({ mode: options.mode, dryRun: options.dryRun, ...counts });
  if (!target) {
    options.onTargetRead?.({ entries: 0, revision: 0 });
    for await (const _ of entries) finished("created");
    return summary();
  }
  if (!options.dryRun && !target.backend.capabilities.compareAndSwap) {
    throw new UnsupportedOperationError("import (needs compare-and-swap)", target.backend.name);
  }
  const snapshot = await takeSnapshot(target.backend, {
    collections: options.collections,
    idleTimeoutMs: options.idleTimeoutMs,
    onReceived: options.onReceived,
    spoolDir: options.spoolDir,
  });
  try {
    options.onTargetRead?.({ entries: snapshot.entries, revision: snapshot.revision });
    const writer = new CasWriter(target, snapshot.epoch, () => counts.conflictsRetried++);
    const pool = new WritePool(options.concurrency ?? IMPORT_CONCURRENCY);
    for await (const entry of entries) {
      await pool.start(entry.key, async () => {
        writer.check(entry);
        let state = snapshot.latest(entry.key);
        for (let attempt = 1; ; attempt++) {
          if (state?.bytes && sameBytes(state.bytes, entry.bytes)) return finished("unchanged");
          const outcome = state ? "updated" : "created";
          if (options.dryRun) return finished(outcome);
          const conflict = await writer.write(entry.key, entry.bytes, state?.revision ?? 0);
          if (!conflict) return finished(outcome);
          state = await writer.reread(entry.key, entry.collection, conflict, attempt);
        }
      });
    }
    await pool.drain();

    if (options.mode === "replace") {
      for (const stale of snapshot.liveKeys()) {
        if (options.holds(stale.key)) continue;
        const collection = collectionOfKey(stale.key) as CollectionName;
        await pool.start(stale.key, async () => {
          let state: KeyState | undefined = { revision: stale.revision, bytes: undefined };
          for (let attempt = 1; state; attempt++) {
            if (options.dryRun) return finished("deleted");
            const conflict = await writer.write(stale.key, null, state.revision);
            if (!conflict) return finished("deleted");
            state = await writer.reread(stale.key, collection, conflict, attempt);
          }
          finished(undefined);
        });
      }
      await pool.drain();
    }
    return summary();
  } finally {
    snapshot.remove();
  }
}

/**
 * Conditional writes straight to the backend, in the history the target's state was read in (rule 4); after a
 * conflict, the key's current state read from the store (never from a replica).
 */
class CasWriter {
  constructor(
    private readonly target: ImportTarget,
    /** The history the revisions in hand belong to; the backend's current one after it lost the other. */
    private epoch: string,
    private readonly onConflict: () => void,
  ) {}

  /** Refuses, before anything is written for it, an entry the target cannot take. */
  check(entry: TransferEntry): void {
    assertKeySafe(entry.key);
    if (entry.bytes.byteLength > this.target.maxValueBytes) {
      throw new ValueTooLargeError(entry.key, entry.bytes.byteLength, this.target.maxValueBytes);
    }
  }

  /** Writes `value` (null: deletes) if the key is still at `expectedRevision`; the conflict when it is not. */
  async write(
    key: string,
    value: Uint8Array | null,
    expectedRevision: number,
  ): Promise<ConflictError | undefined> {
    try {
      await this.target.backend.write({
        key,
        value,
        expectedRevision,
        ...(expectedRevision > 0 && { expectedEpoch: this.epoch }),
        origin: this.target.origin,
      });
      return undefined;
    } catch (error) {
      if (error instanceof ConflictError) return error;
      throw error;
    }
  }

  /**
   * After `conflict`, attempt `attempt`'s, on `key`: its state now (undefined: absent or deleted). Throws the
   * conflict once the attempts are spent.
   */
  async reread(
    key: string,
    collection: CollectionName,
    conflict: ConflictError,
    attempt: number,
  ): Promise<KeyState | undefined> {
    if (attempt >= MAX_ATTEMPTS) throw conflict;
    this.onConflict();
    const { backend } = this.target;
    if (conflict.otherHistory) {
      // The store lost the history the state was read in: what it holds now is in its new one.
      await sleep(50 * attempt);
      this.epoch = (await backend.head()).epoch;
    }
    if (!backend.read) {
      // No way to read one key: write over whatever holds the revision the conflict reported.
      if (conflict.currentRevision === undefined) await sleep(50 * attempt);
      const revision = conflict.currentRevision ?? conflict.expectedRevision;
      return revision > 0 ? { revision, bytes: undefined } : undefined;
    }
    const stored = await backend.read(key);
    if (!stored || stored.value === null) return undefined;
    return { revision: stored.revision, bytes: normalized(key, collection, stored.value) };
  }
}

/** A stored value in the wire shape; undefined when its collection's codec refuses it. */
function normalized(key: string, collection: CollectionName, stored: Uint8Array): Uint8Array | undefined {
  try {
    return entryFromStored(key, collection, stored).bytes;
  } catch {
    return undefined;
  }
}

/**
 * Runs tasks with at most `limit` in flight; the first failure stops new ones and is thrown by `drain`/`start`.
 * One caller at a time (the import's loop).
 */
class WritePool {
  private inFlight = 0;
  private waiting: (() => void) | undefined;
  private failure: { key: string; error: unknown } | undefined;
  private succeeded = 0;

  constructor(private readonly limit: number) {}

  /** Starts `task` once a place is free. */
  async start(key: string, task: () => Promise<void>): Promise<void> {
    while (this.inFlight >= this.limit) await this.settled();
    if (this.failure) await this.drain();
    this.inFlight++;
    task().then(
      () => {
        this.succeeded++;
        this.release();
      },
      (error: unknown) => {
        this.failure ??= { key, error };
        this.release();
      },
    );
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight > 0) await this.settled();
    this.rethrow();
  }

  /** Resolves when the next task settles. */
  private settled(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting = resolve;
    });
  }

  private release(): void {
    this.inFlight--;
    const wake = this.waiting;
    this.waiting = undefined;
    wake?.();
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
