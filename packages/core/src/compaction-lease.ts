// The compaction lease: one reserved key in the lattice's store, written only with compare-and-swap, that
// says which host compacts tombstones until when, and when the last compaction finished. It is no lattice
// key (no LINKDEF_/CLAIMS_/REFMAP_ prefix), so every replica ignores it as foreign, and real wasmCloud hosts,
// which read only those three prefixes, skip it too.
// Rules cited here: docs/semantics.md#rule-4, #rule-6.
import type { BackendEntry } from "./backend.js";

/** The reserved key of the compaction lease (a valid NATS token and Redis field; outside every collection). */
export const COMPACTION_LEASE_KEY = "LATTICECACHE_COMPACTION";

/** What the lease key holds. */
export interface CompactionLease {
  /** The host holding (or that last held) the lease. */
  readonly host: string;
  /** Until when it holds, ISO 8601; a lease released after a run ends at the release. */
  readonly until: string;
  /** When the last successful compaction finished, ISO 8601; null before the first. */
  readonly lastRun: string | null;
}

/** The lease as stored: compact JSON. */
export function encodeCompactionLease(lease: CompactionLease): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ host: lease.host, until: lease.until, lastRun: lease.lastRun }),
  );
}

/**
 * The lease a stored entry holds; undefined for none, a delete, or bytes that are no lease (someone else
 * wrote the key: a new lease simply replaces them, by revision).
 */
export function decodeCompactionLease(
  entry: Pick<BackendEntry, "value"> | undefined,
): CompactionLease | undefined {
  if (entry?.value == null) return undefined;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(entry.value));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { host, until, lastRun } = parsed as Record<string, unknown>;
    if (typeof host !== "string" || !isTime(until)) return undefined;
    return { host, until, lastRun: isTime(lastRun) ? lastRun : null };
  } catch {
    return undefined;
  }
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}
