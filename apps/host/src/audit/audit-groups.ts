// The hosts of an audit in groups whose revisions and digests can be compared: one group per backend and
// lattice (prefix). A legacy host's revision counts its own applies and a JetStream host's the stream's, so
// nothing is ever compared across groups (issue 28 item 3: a mixed fleet is not "the same digest"). Pure.
// Rules cited here: docs/semantics.md#rule-2.
import type { ReceivedReport } from "@lattice-cache/plugin";

/** Replica states whose revision and digest describe a complete, consistent view (rule 8 passed). */
export const SYNCED_STATES: ReadonlySet<string> = new Set(["live", "stale", "resyncing"]);

/** Hosts of one backend and lattice: the only hosts whose revisions and digests may be compared. */
export interface AuditGroup {
  readonly backend: string;
  readonly prefix: string;
  /**
   * True when the backend orders writes lattice-wide, so equal revisions must mean equal digests (rule 2);
   * false on an unordered backend (legacy), whose revisions are per host and never compared.
   */
  readonly ordered: boolean;
  /** Every host of the group, sorted (an id answered twice is listed twice). */
  readonly hostIds: readonly string[];
  /** The distinct revisions of its synced hosts, ascending. */
  readonly revisions: readonly number[];
  /** The distinct digests of its synced hosts, sorted. */
  readonly digests: readonly string[];
  /**
   * True when every host is live and holds one digest — at one revision, on an ordered backend.
   */
  readonly agree: boolean;
}

/** The key of the group `report` belongs to. */
export function groupKeyOf(report: Pick<ReceivedReport, "backend" | "prefix">): string {
  return `${report.backend}\0${report.prefix}`;
}

/** Groups `reports` (the compared ones) by backend and lattice, sorted by backend then prefix. */
export function groupByBackend(reports: readonly ReceivedReport[]): AuditGroup[] {
  const members = new Map<string, ReceivedReport[]>();
  for (const r of reports) members.set(groupKeyOf(r), [...(members.get(groupKeyOf(r)) ?? []), r]);
  return [...members.values()]
    .map((group) => {
      const first = group[0] as ReceivedReport;
      // A host still connecting reports `ordered: false`: the group is ordered if any of its hosts says so.
      const ordered = group.some((r) => r.ordered);
      const synced = group.filter((r) => SYNCED_STATES.has(r.state) && r.digest !== null);
      const revisions = [...new Set(synced.map((r) => r.revision))].sort((a, b) => a - b);
      const digests = [...new Set(synced.map((r) => r.digest as string))].sort();
      return {
        backend: first.backend,
        prefix: first.prefix,
        ordered,
        hostIds: group.map((r) => r.hostId).sort(),
        revisions,
        digests,
        agree:
          group.every((r) => r.state === "live") &&
          digests.length === 1 &&
          (!ordered || revisions.length === 1),
      };
    })
    .sort((a, b) => compareText(a.backend, b.backend) || compareText(a.prefix, b.prefix));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
