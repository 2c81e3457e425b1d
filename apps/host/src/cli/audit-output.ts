// How `lattice status --hosts` prints the cross-host audit: a table, the split brains, the notes, and whether
// the answers were verified with the status secret.
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

/** The human form of an audit. */
export function formatAudit(audit: LatticeAudit, channel: string, windowMs: number): string {
  const lines: string[] = [];
  if (audit.hosts.length > 0) {
    lines.push(
      formatTable(
        ["HOST", "BACKEND", "STATE", "REVISION", "LAG", "DIGEST", "ENTRIES L/C/R", "HTTP", "FLAG"],
        audit.hosts.map((h) => hostRow(h, audit.secured)),
      ),
      "",
    );
  }
  for (const split of audit.splitBrains) lines.push(describeSplitBrain(split));
  if (audit.notes.length > 0) lines.push("notes:", ...audit.notes.map((n) => `  ${escapeTerminalValue(n)}`));
  const n = audit.hosts.length;
  lines.push(`${n} host${n === 1 ? "" : "s"} answered on ${channel} within ${windowMs} ms`);
  lines.push(describeVerification(audit));
  if (audit.converged) lines.push("all hosts are live at the same revision with the same digest");
  return lines.join("\n");
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
    h.splitBrainWith.length > 0 ? "SPLIT BRAIN" : secured && !h.verified ? "unverified" : h.behind ? "behind" : "";
  return [
    h.hostId,
    h.backend,
    h.state,
    String(h.revision),
    h.lag === null ? "-" : String(h.lag),
    h.digest === null ? "-" : h.digest.slice(0, SHORT_DIGEST),
    `${h.counts.linkdefs}/${h.counts.claims}/${h.counts.refmaps}`,
    h.http ?? "-",
    flag,
  ];
}
