// How `lattice compact` reports: a progress line while the backend is scanned, then one heading and a table
// of the delete markers removed (or, in a dry run, that would be).
import { type CompactionReport, collectionOfKey } from "@lattice-cache/core";
import type { ProgressLine } from "./progress-line.js";
import { formatTable } from "./text-table.js";

/** Where and how a compaction ran, for the heading. */
export interface CompactionScope {
  /** e.g. `jetstream (NATS at nats://…)`. */
  readonly backend: string;
  readonly prefix: string;
  /** The age past which markers go, as given: `24h`. */
  readonly olderThan: string;
}

/** Turns the scan's progress into count lines (throttled by the progress line). */
export function compactionProgressPrinter(line: ProgressLine): (scanned: number) => void {
  return (scanned) => line.count(`  ${records(scanned)} scanned`);
}

/** The human report: heading, then the markers as a table (none: the heading says so). */
export function formatCompaction(report: CompactionReport, scope: CompactionScope): string {
  const n = report.removed.length;
  const markers = `${n} delete marker${n === 1 ? "" : "s"} older than ${scope.olderThan}`;
  const where = `${scope.backend}, prefix ${scope.prefix}; written before ${report.cutoff}; ${records(report.scanned)} scanned`;
  const heading =
    n === 0
      ? `nothing to remove: no delete markers older than ${scope.olderThan} in ${where}`
      : report.dryRun
        ? `dry run, nothing removed: ${markers} would be removed from ${where}`
        : `removed ${markers} from ${where}`;
  if (n === 0) return heading;
  const rows = report.removed.map((r) => [
    r.key,
    collectionOfKey(r.key) ?? "-",
    String(r.revision),
    r.deletedAt,
  ]);
  return [heading, "", formatTable(["KEY", "COLLECTION", "REVISION", "DELETED AT"], rows)].join("\n");
}

function records(n: number): string {
  return `${n} record${n === 1 ? "" : "s"}`;
}
