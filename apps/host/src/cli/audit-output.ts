// How `lattice status --hosts` prints the cross-host audit: a table, the split brains, the notes.
import type { AuditedHost, LatticeAudit, SplitBrain } from "../audit/lattice-audit.js";
import { formatTable } from "./text-table.js";

/** Digest characters shown in the table (`--json` has them all). */
const SHORT_DIGEST = 16;

/** One sentence naming every host of a split brain and the digest each holds. */
export function describeSplitBrain(split: SplitBrain): string {
  const sides = split.groups.map(
    (g) =>
      `${g.hostIds.join(", ")} ${g.hostIds.length === 1 ? "holds" : "hold"} digest ${g.digest.slice(0, SHORT_DIGEST)}`,
  );
  return `SPLIT BRAIN at revision ${split.revision} (${split.backend}): ${sides.join(" but ")}`;
}

/** The human form of an audit. */
export function formatAudit(audit: LatticeAudit, channel: string, windowMs: number): string {
  const lines: string[] = [];
  if (audit.hosts.length > 0) {
    lines.push(
      formatTable(
        ["HOST", "BACKEND", "STATE", "REVISION", "LAG", "DIGEST", "ENTRIES L/C/R", "HTTP", "FLAG"],
        audit.hosts.map(hostRow),
      ),
      "",
    );
  }
  for (const split of audit.splitBrains) lines.push(describeSplitBrain(split));
  if (audit.notes.length > 0) lines.push("notes:", ...audit.notes.map((n) => `  ${n}`));
  const n = audit.hosts.length;
  lines.push(`${n} host${n === 1 ? "" : "s"} answered on ${channel} within ${windowMs} ms`);
  if (audit.converged) lines.push("all hosts are live at the same revision with the same digest");
  return lines.join("\n");
}

function hostRow(h: AuditedHost): string[] {
  const flag = h.splitBrainWith.length > 0 ? "SPLIT BRAIN" : h.behind ? "behind" : "";
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
