// The one compaction driver, used by `lattice compact` and by running hosts: take the lease (a
// compare-and-swap on the lease key), have the backend remove the delete markers older than the cutoff,
// record the run, release. A lease another host holds is an answer, not an error.
// Rules cited here: docs/semantics.md#rule-4, #rule-6.
import type { LatticeBackend } from "./backend.js";
import { assertCompactionRequest, type CompactionReport } from "./compaction.js";
import {
  COMPACTION_LEASE_KEY,
  type CompactionLease,
  decodeCompactionLease,
  encodeCompactionLease,
} from "./compaction-lease.js";
import { LatticeCacheError, UnsupportedOperationError } from "./errors.js";

/** How long a compaction lease holds by default: a scan that outlives it may meet a second one (harmless). */
export const DEFAULT_COMPACTION_LEASE_MS = 15 * 60 * 1000;

/** Options of {@link compactLattice}. */
export interface CompactLatticeOptions {
  /** Remove delete markers written before `now - olderThanMs` (a positive number of ms). */
  readonly olderThanMs: number;
  /** The id recorded as the lease holder and as the origin of the lease writes. */
  readonly hostId: string;
  /** Report what would be removed; remove nothing, take no lease. Default false. */
  readonly dryRun?: boolean;
  /** Called now and then with how many stored records the scan has looked at. */
  readonly progress?: (scanned: number) => void;
  /** Compact only when the last recorded run finished at least this long ago (hosts use 1 h). Default 0. */
  readonly minIntervalMs?: number;
  /** How long the lease holds. Default {@link DEFAULT_COMPACTION_LEASE_MS}. */
  readonly leaseMs?: number;
}

/** What {@link compactLattice} did. */
export type CompactionOutcome =
  /** This call compacted (or, in a dry run, looked): the backend's report. */
  | { readonly status: "compacted"; readonly report: CompactionReport }
  /** Another host holds the lease (or took it in the same moment): nothing was done. */
  | { readonly status: "held"; readonly holder: string; readonly until: string }
  /** The last run is younger than `minIntervalMs`: nothing was done. */
  | { readonly status: "not-due"; readonly lastRun: string; readonly nextDue: string };

/**
 * Why `backend` cannot be compacted, or undefined when it can: it needs `compactTombstones`, `read` (for
 * the lease) and compare-and-swap (to take the lease).
 */
export function compactionUnsupported(backend: LatticeBackend): string | undefined {
  if (typeof backend.compactTombstones !== "function") return "it cannot remove delete markers";
  if (typeof backend.read !== "function" || !backend.capabilities.compareAndSwap) {
    return "it cannot hold the compaction lease (it needs read and compare-and-swap)";
  }
  return undefined;
}

/**
 * Removes the delete markers older than `olderThanMs` from the backend's store, one host at a time (see the
 * file comment). Nothing is written in a dry run.
 * @throws UnsupportedOperationError when the backend cannot be compacted (see {@link compactionUnsupported}),
 *   ConfigurationError for a bad `olderThanMs`, and what the backend throws (`BackendUnavailableError`,
 *   `PermissionDeniedError`, …).
 */
export async function compactLattice(
  backend: LatticeBackend,
  options: CompactLatticeOptions,
): Promise<CompactionOutcome> {
  const why = compactionUnsupported(backend);
  const compact = backend.compactTombstones?.bind(backend);
  const read = backend.read?.bind(backend);
  if (why !== undefined || compact === undefined || read === undefined) {
    throw new UnsupportedOperationError(`tombstone compaction (${why})`, backend.name);
  }
  const request = {
    olderThanMs: options.olderThanMs,
    dryRun: options.dryRun === true,
    ...(options.progress ? { progress: options.progress } : {}),
  };
  assertCompactionRequest(request);
  if (request.dryRun) return { status: "compacted", report: await compact(request) };

  const stored = await read(COMPACTION_LEASE_KEY);
  const current = decodeCompactionLease(stored);
  const now = Date.now();
  if (current !== undefined && current.host !== options.hostId && Date.parse(current.until) > now) {
    return { status: "held", holder: current.host, until: current.until };
  }
  const minIntervalMs = options.minIntervalMs ?? 0;
  if (current?.lastRun != null && now - Date.parse(current.lastRun) < minIntervalMs) {
    const nextDue = new Date(Date.parse(current.lastRun) + minIntervalMs).toISOString();
    return { status: "not-due", lastRun: current.lastRun, nextDue };
  }
  const lastRun = current?.lastRun ?? null;
  const taken: CompactionLease = {
    host: options.hostId,
    until: new Date(now + (options.leaseMs ?? DEFAULT_COMPACTION_LEASE_MS)).toISOString(),
    lastRun,
  };
  let leaseRevision: number;
  try {
    leaseRevision = await writeLease(backend, options.hostId, taken, stored?.revision ?? 0);
  } catch (error) {
    if (!LatticeCacheError.hasCode(error, "CONFLICT")) throw error;
    // Another host wrote the lease since we read it: it took it in the same moment.
    const winner = decodeCompactionLease(await read(COMPACTION_LEASE_KEY));
    return { status: "held", holder: winner?.host ?? "another host", until: winner?.until ?? taken.until };
  }
  let report: CompactionReport | undefined;
  try {
    report = await compact(request);
    return { status: "compacted", report };
  } finally {
    // Released with the run recorded — or, after a failure, as it was, so another host may try soon.
    const finished = new Date().toISOString();
    const released = { host: options.hostId, until: finished, lastRun: report ? finished : lastRun };
    // A lease that expired during a long run may have been taken over: that host records its own run.
    await writeLease(backend, options.hostId, released, leaseRevision).catch(() => {});
  }
}

async function writeLease(
  backend: LatticeBackend,
  hostId: string,
  lease: CompactionLease,
  expectedRevision: number,
): Promise<number> {
  const { revision } = await backend.write({
    key: COMPACTION_LEASE_KEY,
    value: encodeCompactionLease(lease),
    expectedRevision,
    origin: hostId,
  });
  return revision;
}
