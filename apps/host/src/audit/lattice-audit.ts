// The cross-host consistency audit: from every host's status answer, who is behind and — rule 2 — which
// hosts hold the same revision with different digests (split brain). Pure: no I/O, easy to test.
// Rules cited here: docs/semantics.md#rule-2, #rule-8.
import { decodeHostStatusReport, type HostStatusReport } from "./host-status-report.js";

/** Replica states whose revision and digest describe a complete, consistent view (rule 8 passed). */
const SYNCED_STATES: ReadonlySet<string> = new Set(["live", "stale", "resyncing"]);

/** One host in the audit. */
export interface AuditedHost extends HostStatusReport {
  /**
   * Revisions behind the highest revision any host of the same backend reported (its own or its backend's);
   * null when revisions are not comparable across hosts (an unordered backend).
   */
  readonly lag: number | null;
  /** True when {@link lag} is above 0. */
  readonly behind: boolean;
  /** Hosts at the same revision with a different digest: rule 2 is broken between them. */
  readonly splitBrainWith: readonly string[];
}

/** Hosts of one backend at one revision that disagree about the state. */
export interface SplitBrain {
  readonly backend: string;
  readonly revision: number;
  /** The hosts holding each digest, the largest group first. */
  readonly groups: readonly { readonly digest: string; readonly hostIds: readonly string[] }[];
}

/** The result of {@link auditLattice}. */
export interface LatticeAudit {
  /** Every host that answered, sorted by id. */
  readonly hosts: readonly AuditedHost[];
  /** Every split brain found (empty in a healthy lattice). */
  readonly splitBrains: readonly SplitBrain[];
  /** Everything else worth knowing: hosts behind, not synced or stale, unreadable answers, shared ids. */
  readonly notes: readonly string[];
  /** True when every host is live, at the highest revision, with no split brain and nothing to note. */
  readonly converged: boolean;
}

/** Audits the raw answers gathered from the status channel. */
export function auditLattice(answers: readonly string[]): LatticeAudit {
  const notes: string[] = [];
  const reports: HostStatusReport[] = [];
  for (const answer of answers) {
    const decoded = decodeHostStatusReport(answer);
    if (typeof decoded === "string") notes.push(`ignored ${decoded}`);
    else reports.push(decoded);
  }
  reports.sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));

  const answersPerId = new Map<string, number>();
  for (const r of reports) answersPerId.set(r.hostId, (answersPerId.get(r.hostId) ?? 0) + 1);
  for (const [id, n] of answersPerId) {
    if (n > 1) notes.push(`${n} hosts answered as ${id}: give each host its own --host-id`);
  }

  const highest = new Map<string, number>();
  for (const r of reports) {
    if (!r.ordered) continue;
    const seen = Math.max(r.revision, r.backendRevision ?? 0, highest.get(r.backend) ?? 0);
    highest.set(r.backend, seen);
  }

  const splitBrains = findSplitBrains(reports);
  const partners = new Map<HostStatusReport, Set<string>>();
  for (const split of splitBrains) {
    for (const group of split.groups) {
      const others = split.groups.filter((g) => g !== group).flatMap((g) => g.hostIds);
      for (const r of reports) {
        if (r.backend === split.backend && r.revision === split.revision && r.digest === group.digest) {
          const set = partners.get(r) ?? new Set<string>();
          for (const o of others) set.add(o);
          partners.set(r, set);
        }
      }
    }
  }

  const hosts: AuditedHost[] = reports.map((r) => {
    const lag = r.ordered ? (highest.get(r.backend) ?? r.revision) - r.revision : null;
    return {
      ...r,
      lag,
      behind: lag !== null && lag > 0,
      splitBrainWith: [...(partners.get(r) ?? [])].sort(),
    };
  });

  for (const h of hosts) {
    if (!SYNCED_STATES.has(h.state)) notes.push(`${h.hostId} is ${h.state} (not yet synced: not compared)`);
    else if (h.state !== "live") {
      notes.push(
        `${h.hostId} is ${h.state}${h.staleForMs > 0 ? ` for ${Math.round(h.staleForMs / 1000)} s` : ""}`,
      );
    }
    if (h.behind) {
      notes.push(`${h.hostId} is behind: revision ${h.revision} of ${highest.get(h.backend)} (lag ${h.lag})`);
    }
  }
  notes.push(...unorderedDrift(hosts));

  const converged =
    splitBrains.length === 0 &&
    notes.length === 0 &&
    hosts.length > 0 &&
    hosts.every((h) => h.state === "live");
  return { hosts, splitBrains, notes, converged };
}

/** Rule 2 across hosts: same backend (ordered), same revision, different digests. */
function findSplitBrains(reports: readonly HostStatusReport[]): SplitBrain[] {
  const byRevision = new Map<string, HostStatusReport[]>();
  for (const r of reports) {
    if (!r.ordered || r.digest === null || !SYNCED_STATES.has(r.state)) continue;
    const at = `${r.backend}\0${r.revision}`;
    byRevision.set(at, [...(byRevision.get(at) ?? []), r]);
  }
  const found: SplitBrain[] = [];
  for (const group of byRevision.values()) {
    const byDigest = new Map<string, string[]>();
    for (const r of group)
      byDigest.set(r.digest as string, [...(byDigest.get(r.digest as string) ?? []), r.hostId]);
    if (byDigest.size < 2) continue;
    const first = group[0] as HostStatusReport;
    found.push({
      backend: first.backend,
      revision: first.revision,
      groups: [...byDigest]
        .map(([digest, hostIds]) => ({ digest, hostIds }))
        .sort((a, b) => b.hostIds.length - a.hostIds.length || (a.digest < b.digest ? -1 : 1)),
    });
  }
  return found.sort((a, b) => a.revision - b.revision);
}

/**
 * An unordered backend (the legacy broadcast) has no lattice-wide revision, so split brain cannot be told
 * from messages in flight; differing digests are worth a note, not a verdict.
 */
function unorderedDrift(hosts: readonly AuditedHost[]): string[] {
  const digests = new Map<string, Set<string>>();
  for (const h of hosts) {
    if (h.ordered || h.digest === null || !SYNCED_STATES.has(h.state)) continue;
    const set = digests.get(h.backend) ?? new Set<string>();
    set.add(h.digest);
    digests.set(h.backend, set);
  }
  return [...digests]
    .filter(([, set]) => set.size > 1)
    .map(
      ([backend, set]) =>
        `${backend} hosts hold ${set.size} different digests; the ${backend} backend is unordered, so this is drift ` +
        "(messages in flight or lost), not a proof of split brain",
    );
}
