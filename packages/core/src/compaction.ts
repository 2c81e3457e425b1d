// What a tombstone compaction asks of a backend and what it reports: delete markers older than a cutoff are
// removed from the store, so storage stays bounded (rule 6: a compacted key never comes back anywhere).
// `CompactionScan` is the bookkeeping every backend's compaction shares: the cutoff, the count of records
// looked at (with throttled progress), and the markers removed.
// Rules cited here: docs/semantics.md#rule-6.
import { ConfigurationError } from "./errors.js";

/** One tombstone compaction, as `LatticeBackend.compactTombstones` takes it. */
export interface CompactionRequest {
  /** Remove delete markers written before `now - olderThanMs` (a positive number of ms). */
  readonly olderThanMs: number;
  /** Find and report the markers that would be removed; remove nothing. */
  readonly dryRun: boolean;
  /** Called now and then with how many stored records the scan has looked at so far. */
  readonly progress?: (scanned: number) => void;
}

/** One delete marker a compaction removed (or, in a dry run, would remove). */
export interface RemovedTombstone {
  /** Storage key, e.g. `LINKDEF_…`. */
  readonly key: string;
  /** The revision of the delete. */
  readonly revision: number;
  /** When the delete was written, ISO 8601 (the backend's clock). */
  readonly deletedAt: string;
}

/** What a compaction did. */
export interface CompactionReport {
  /** Markers written before this time (ISO 8601) were due. */
  readonly cutoff: string;
  /** Stored records looked at (live values and markers). */
  readonly scanned: number;
  /** The markers removed (in a dry run: that would be removed), in revision order. */
  readonly removed: readonly RemovedTombstone[];
  /** True when nothing was removed on purpose. */
  readonly dryRun: boolean;
}

/** How many records a scan looks at between two progress calls. */
export const COMPACTION_PROGRESS_EVERY = 1000;

/**
 * Refuses a request a backend cannot act on: `olderThanMs` must be a positive safe integer (0 would remove
 * the delete a replica is about to receive; "keep forever" means not compacting at all).
 * @throws ConfigurationError naming `olderThanMs`.
 */
export function assertCompactionRequest(request: CompactionRequest): void {
  const { olderThanMs } = request;
  if (!Number.isSafeInteger(olderThanMs) || olderThanMs <= 0) {
    throw new ConfigurationError(
      `a tombstone compaction needs olderThanMs, a positive number of ms (got ${String(olderThanMs)})`,
      { field: "olderThanMs" },
    );
  }
}

/** One compaction's bookkeeping (see the file comment). */
export class CompactionScan {
  /** Markers written before this (ms since the epoch) are due. */
  readonly cutoffMs: number;
  private seen = 0;
  private readonly found: RemovedTombstone[] = [];

  /** @throws ConfigurationError for a request `assertCompactionRequest` refuses. */
  constructor(
    private readonly request: CompactionRequest,
    now = Date.now(),
  ) {
    assertCompactionRequest(request);
    this.cutoffMs = now - request.olderThanMs;
  }

  /** True for a dry run. */
  get dryRun(): boolean {
    return this.request.dryRun;
  }

  /** True when a marker written at `writtenAtMs` is due. */
  due(writtenAtMs: number): boolean {
    return writtenAtMs < this.cutoffMs;
  }

  /** Counts `n` more records looked at, calling `progress` every {@link COMPACTION_PROGRESS_EVERY}. */
  scanned(n = 1): void {
    const before = Math.floor(this.seen / COMPACTION_PROGRESS_EVERY);
    this.seen += n;
    if (Math.floor(this.seen / COMPACTION_PROGRESS_EVERY) > before) this.request.progress?.(this.seen);
  }

  /** Records a marker removed (or, in a dry run, due). */
  removed(key: string, revision: number, writtenAtMs: number): void {
    this.found.push({ key, revision, deletedAt: new Date(writtenAtMs).toISOString() });
  }

  /** The report; calls `progress` once more with the final count. */
  report(): CompactionReport {
    this.request.progress?.(this.seen);
    return {
      cutoff: new Date(this.cutoffMs).toISOString(),
      scanned: this.seen,
      removed: [...this.found].sort((a, b) => a.revision - b.revision),
      dryRun: this.request.dryRun,
    };
  }
}
