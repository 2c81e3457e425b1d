// The cross-host consistency audit: from every host's status answer, who is behind and — rule 2 — which
// hosts hold the same revision with different digests (split brain). With a status secret only verified
// answers are compared (and set the highest revision): a forged answer can neither cause nor hide a split
// brain (issue 27). Pure: no I/O, easy to test.
// Rules cited here: docs/semantics.md#rule-2, #rule-8.

import type { GatheredStatus, ReceivedReport } from "@lattice-cache/plugin";
import { type AuditGroup, groupByBackend, groupKeyOf, SYNCED_STATES } from "./audit-groups.js";

/** One host in the audit. */
export interface AuditedHost extends ReceivedReport {
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

/** Hosts of one backend and lattice at one revision that disagree about the state. */
export interface SplitBrain {
  readonly backend: string;
  readonly prefix: string;
  readonly revision: number;
  /** The hosts holding each digest, the largest group first. */
  readonly groups: readonly { readonly digest: string; readonly hostIds: readonly string[] }[];
}

/** The result of {@link auditLattice}. */
export interface LatticeAudit {
  /** Every host that answered, sorted by id. */
  readonly hosts: readonly AuditedHost[];
  /** The hosts compared, by backend and lattice: revisions and digests are comparable only within one. */
  readonly groups: readonly AuditGroup[];
  /** Every split brain found (empty in a healthy lattice). */
  readonly splitBrains: readonly SplitBrain[];
  /**
   * Host ids that more than one compared answer carried, sorted: hosts sharing an id cannot be told apart
   * (`status --hosts` exits 5 naming them).
   */
  readonly duplicateHostIds: readonly string[];
  /** Everything else worth knowing: hosts behind, not synced or stale, refused answers, shared ids. */
  readonly notes: readonly string[];
  /**
   * True when every host is live, at the highest revision, with no split brain and nothing to note, and the
   * hosts of each group agree (hosts of different backends are never compared with each other).
   */
  readonly converged: boolean;
  /**
   * True when the requester has a status secret: only verified hosts were compared. False: every answer was
   * compared, none could be verified.
   */
  readonly secured: boolean;
}

/** Audits what a status request gathered. */
export function auditLattice(gathered: GatheredStatus): LatticeAudit {
  const notes: string[] = [...gathered.notes];
  const reports = [...gathered.reports].sort((a, b) =>
    a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : a.verified === b.verified ? 0 : a.verified ? -1 : 1,
  );
  const compared = comparedOf(reports, gathered.secured);

  const answersPerId = new Map<string, number>();
  for (const r of compared) answersPerId.set(r.hostId, (answersPerId.get(r.hostId) ?? 0) + 1);
  const duplicateHostIds = [...answersPerId].filter(([, n]) => n > 1).map(([id]) => id);
  for (const id of duplicateHostIds) {
    notes.push(`${answersPerId.get(id)} hosts answered as ${id}: give each host its own --host-id`);
  }

  const highest = new Map<string, number>();
  for (const r of compared) {
    if (!r.ordered) continue;
    const seen = Math.max(r.revision, r.backendRevision ?? 0, highest.get(groupKeyOf(r)) ?? 0);
    highest.set(groupKeyOf(r), seen);
  }

  const splitBrains = findSplitBrains(compared);
  const partners = new Map<ReceivedReport, Set<string>>();
  for (const split of splitBrains) {
    for (const group of split.groups) {
      const others = split.groups.filter((g) => g !== group).flatMap((g) => g.hostIds);
      for (const r of compared) {
        if (
          groupKeyOf(r) === groupKeyOf(split) &&
          r.revision === split.revision &&
          r.digest === group.digest
        ) {
          const set = partners.get(r) ?? new Set<string>();
          for (const o of others) set.add(o);
          partners.set(r, set);
        }
      }
    }
  }

  const hosts: AuditedHost[] = reports.map((r) => {
    const lag = r.ordered ? Math.max(0, (highest.get(groupKeyOf(r)) ?? r.revision) - r.revision) : null;
    return {
      ...r,
      lag,
      behind: lag !== null && lag > 0,
      splitBrainWith: [...(partners.get(r) ?? [])].sort(),
    };
  });

  // An unverified host (with a secret) is noted once, by the intake, and never compared.
  const comparedHosts = comparedOf(hosts, gathered.secured);
  for (const h of comparedHosts) {
    if (!SYNCED_STATES.has(h.state)) notes.push(`${h.hostId} is ${h.state} (not yet synced: not compared)`);
    else if (h.state !== "live") {
      notes.push(
        `${h.hostId} is ${h.state}${h.staleForMs > 0 ? ` for ${Math.round(h.staleForMs / 1000)} s` : ""}`,
      );
    }
    if (h.behind) {
      notes.push(
        `${h.hostId} is behind: revision ${h.revision} of ${highest.get(groupKeyOf(h))} (lag ${h.lag})`,
      );
    }
  }
  notes.push(...unorderedDrift(comparedHosts));

  const groups = groupByBackend(compared);
  const converged =
    splitBrains.length === 0 &&
    notes.length === 0 &&
    hosts.length > 0 &&
    hosts.every((h) => h.state === "live") &&
    groups.every((g) => g.agree);
  return { hosts, groups, splitBrains, duplicateHostIds, notes, converged, secured: gathered.secured };
}

/**
 * The answers an audit compares: with a status secret only the verified ones; without one, nothing can be
 * verified, so every one.
 */
export function comparedOf<T extends { readonly verified: boolean }>(
  answers: readonly T[],
  secured: boolean,
): readonly T[] {
  return secured ? answers.filter((a) => a.verified) : answers;
}

/** Rule 2 across hosts: same backend (ordered), same revision, different digests. */
function findSplitBrains(reports: readonly ReceivedReport[]): SplitBrain[] {
  const byRevision = new Map<string, ReceivedReport[]>();
  for (const r of reports) {
    if (!r.ordered || r.digest === null || !SYNCED_STATES.has(r.state)) continue;
    const at = `${groupKeyOf(r)}\0${r.revision}`;
    byRevision.set(at, [...(byRevision.get(at) ?? []), r]);
  }
  const found: SplitBrain[] = [];
  for (const group of byRevision.values()) {
    const byDigest = new Map<string, string[]>();
    for (const r of group)
      byDigest.set(r.digest as string, [...(byDigest.get(r.digest as string) ?? []), r.hostId]);
    if (byDigest.size < 2) continue;
    const first = group[0] as ReceivedReport;
    found.push({
      backend: first.backend,
      prefix: first.prefix,
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
