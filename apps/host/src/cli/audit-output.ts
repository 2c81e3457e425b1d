// How `lattice status --hosts` prints the cross-host audit: a table, the split brains, the notes, the fleet
// expected, whether the answers were verified with the status secret, and a summary per backend group.
import type { AuditGroup } from "../audit/audit-groups.js";
import { describeFleetProblems, type FleetCheck } from "../audit/fleet-check.js";
import type { AuditedHost, LatticeAudit, SplitBrain } from "../audit/lattice-audit.js";
import { escapeTerminalValue } from "./terminal-text.js";
import { formatTable } from "./text-table.js";

/** Digest characters shown in the table (`--json` has them all). */
const SHORT_DIGEST = 16;

/**
 * One sentence naming every host of a split brain and the digest each holds (one line: what the hosts
 * answered has its control characters escaped).
 */
export function describeSplitBrain(split: SplitBrain): string {
  const sides = split.groups.map(
    (g) =>
      `${g.hostIds.map(escapeTerminalValue).join(", ")} ${g.hostIds.length === 1 ? "holds" : "hold"} digest ${escapeTerminalValue(g.digest.slice(0, SHORT_DIGEST))}`,
  );
  return `SPLIT BRAIN at revision ${split.revision} (${escapeTerminalValue(split.backend)}): ${sides.join(" but ")}`;
}

/** What `status --hosts --json` prints: the audit and the fleet check. */
export interface StatusHostsJson {
  /** Every host that answered, sorted by id (each with `verified`, `lag`, `behind`, `splitBrainWith`). */
  readonly hosts: readonly AuditedHost[];
  /** The compared hosts by backend and lattice: revisions and digests are comparable only within one. */
  readonly groups: readonly AuditGroup[];
  readonly splitBrains: readonly SplitBrain[];
  /** The hosts expected, missing, unexpected and duplicated. */
  readonly fleet: FleetCheck;
  readonly notes: readonly string[];
  readonly converged: boolean;
  readonly secured: boolean;
}

/** The `--json` form of an audit. */
export function auditJson(audit: LatticeAudit, fleet: FleetCheck): StatusHostsJson {
  const { hosts, groups, splitBrains, notes, converged, secured } = audit;
  return { hosts, groups, splitBrains, fleet, notes, converged, secured };
}

/** The human form of an audit. */
export function formatAudit(
  audit: LatticeAudit,
  channel: string,
  windowMs: number,
  fleet: FleetCheck,
): string {
  const lines: string[] = [];
  if (audit.hosts.length > 0) {
    lines.push(
      formatTable(
        ["HOST", "BACKEND", "STATE", "REVISION", "LAG", "DIGEST", "ENTRIES L/C/R", "VERSION", "HTTP", "FLAG"],
        audit.hosts.map((h) => hostRow(h, audit.secured)),
      ),
      "",
    );
  }
  for (const split of audit.splitBrains) lines.push(describeSplitBrain(split));
  if (audit.notes.length > 0) lines.push("notes:", ...audit.notes.map((n) => `  ${escapeTerminalValue(n)}`));
  const n = audit.hosts.length;
  lines.push(`${n} host${n === 1 ? "" : "s"} answered on ${channel} within ${windowMs} ms`);
  if (fleet.ok && fleet.expected !== null) {
    lines.push(`${fleet.answered} of ${fleet.expected} expected hosts answered`);
  }
  lines.push(...describeFleetProblems(fleet).map(escapeTerminalValue));
  lines.push(describeVerification(audit));
  lines.push(...describeGroups(audit, fleet.ok));
  return lines.join("\n");
}

/**
 * The summary, true for every mix of backends: one line when a single group converged (saying so when the
 * fleet is not the one expected, `fleetOk` false); with hosts of
 * several backends (or lattices), a line saying they are not comparable and one per group. Never "the same
 * digest" unless the digests are the same.
 */
export function describeGroups(audit: LatticeAudit, fleetOk = true): string[] {
  const [only, ...others] = audit.groups;
  if (!only) return [];
  if (others.length === 0) {
    if (!audit.converged) return [];
    const who = fleetOk ? "all hosts are" : "the hosts that answered are";
    const but = fleetOk ? "" : ", but they are not the hosts expected";
    return [
      only.ordered
        ? `${who} live at the same revision with the same digest${but}`
        : `${who} live with the same digest (the ${escapeTerminalValue(only.backend)} backend is unordered: revisions are per host, not compared)${but}`,
    ];
  }
  const prefixes = new Set(audit.groups.map((g) => g.prefix)).size > 1;
  const backends = new Set(audit.groups.map((g) => g.backend)).size > 1;
  const across = [backends ? "backends" : "", prefixes ? "lattices" : ""].filter(Boolean).join(" or ");
  return [
    `hosts of different ${across} answered: their revisions and digests are not comparable across ${across}`,
    ...audit.groups.map((g) => `  ${describeGroup(g, audit.groups, prefixes)}`),
  ];
}

function describeGroup(group: AuditGroup, all: readonly AuditGroup[], prefixes: boolean): string {
  const n = group.hostIds.length;
  const who = `${n} ${escapeTerminalValue(group.backend)} host${n === 1 ? "" : "s"}${prefixes ? ` of prefix ${escapeTerminalValue(group.prefix)}` : ""}`;
  const digest = (d: string) => escapeTerminalValue(d.slice(0, SHORT_DIGEST));
  const [revision] = group.revisions;
  const [oneDigest] = group.digests;
  if (group.ordered) {
    if (group.agree && revision !== undefined && oneDigest !== undefined) {
      return `${who} ${n === 1 ? "is live" : "agree"} at revision ${revision}, digest ${digest(oneDigest)}`;
    }
    return `${who}, not all live and in agreement: ${describeSpread(group)} (see the notes)`;
  }
  const elsewhere = [...new Set(all.filter((g) => g.backend !== group.backend).map((g) => g.backend))];
  const versus =
    elsewhere.length > 0
      ? `not comparable with ${elsewhere.map(escapeTerminalValue).join(", ")}`
      : "per host (unordered backend)";
  const held =
    group.digests.length === 1 && oneDigest !== undefined
      ? `digest ${digest(oneDigest)}`
      : `${group.digests.length} different digests`;
  return `${who}: revisions ${versus}; ${held}`;
}

/** Revisions and digests of a group that does not agree, e.g. `revisions 4 to 5, 2 different digests`. */
function describeSpread(group: AuditGroup): string {
  const low = group.revisions[0];
  const high = group.revisions[group.revisions.length - 1];
  const revisions =
    low === undefined ? "no synced host" : low === high ? `revision ${low}` : `revisions ${low} to ${high}`;
  const k = group.digests.length;
  return `${revisions}, ${k === 1 ? "1 digest" : `${k} different digests`}`;
}

/** One line on whether the answers could be trusted: checked with the status secret, or not at all. */
export function describeVerification(audit: LatticeAudit): string {
  if (!audit.secured) {
    return "answers are unverified: no status secret is configured (status.secret), so anyone who may publish on the status channel can forge them";
  }
  const verified = audit.hosts.filter((h) => h.verified).length;
  return (
    `answers checked with the status secret: ${verified} verified, ${audit.hosts.length - verified} unverified ` +
    "(unsigned or wrongly signed: listed, never compared, so they cannot cause or hide a SPLIT BRAIN)"
  );
}

function hostRow(h: AuditedHost, secured: boolean): string[] {
  const flag =
    h.splitBrainWith.length > 0
      ? "SPLIT BRAIN"
      : secured && !h.verified
        ? "unverified"
        : h.behind
          ? "behind"
          : "";
  return [
    h.hostId,
    h.backend,
    h.state,
    String(h.revision),
    h.lag === null ? "-" : String(h.lag),
    h.digest === null ? "-" : h.digest.slice(0, SHORT_DIGEST),
    `${h.counts.linkdefs}/${h.counts.claims}/${h.counts.refmaps}`,
    h.version ?? "-",
    h.http ?? "-",
    flag,
  ];
}
