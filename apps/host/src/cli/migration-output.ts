// How `lattice migrate` reports: progress events as phase and count lines on stderr, the result as a summary
// table per collection (a dry run adds the diff), failures and drift as notes.
import { COLLECTION_NAMES } from "@lattice-cache/core";
import type { legacyMigration } from "../composition/builtin-backends.js";
import type { ProgressLine } from "./progress-line.js";
import { formatTable, formatValues } from "./text-table.js";

/** Turns a migration's progress events into lines: one per phase change, counts throttled in between. */
export function migrationProgressPrinter(
  line: ProgressLine,
): (progress: legacyMigration.MigrationProgress) => void {
  let phase: legacyMigration.MigrationProgress["phase"] | undefined;
  return (progress) => {
    const changed = progress.phase !== phase;
    phase = progress.phase;
    switch (progress.phase) {
      case "gathering":
        if (changed)
          line.phase(`asking old hosts for what they hold (.get replies for ${progress.windowMs} ms)`);
        else
          line.count(
            `  ${progress.replies} replies, ${seconds(progress.elapsedMs)} of ${seconds(progress.windowMs)}`,
          );
        return;
      case "reading":
        if (changed) line.phase("reading the generation-2 stream");
        else
          line.count(
            `  ${progress.messages} messages read${progress.pending === undefined ? "" : `, ${progress.pending} pending`}`,
          );
        return;
      case "writing":
        if (changed) line.phase(`writing ${progress.total} entries to the durable backend`);
        else line.count(`  ${progress.done} of ${progress.total} written`);
        return;
      case "deleting-source":
        line.phase(`deleting stream ${progress.stream}`);
        return;
      case "done":
        line.phase(`done in ${seconds(progress.durationMs)}`);
        line.end();
        return;
    }
  };
}

/** Where a migration wrote, for the heading. */
export interface MigrationTarget {
  /** e.g. `jetstream (NATS at nats://…)`. */
  readonly durable: string;
  readonly prefix: string;
  readonly policy: string;
}

/** The human report of a result: heading, table per collection, then the diff (dry run) or failures. */
export function formatMigrationResult(
  result: legacyMigration.MigrationResult,
  target: MigrationTarget,
): string {
  const heading = `${result.dryRun ? "dry run, nothing written" : "migrated"}: ${describeSource(result.source)}`;
  const into = `  into ${target.durable}, prefix ${target.prefix}, policy ${target.policy}`;
  const parts = [heading, into, ...sourceNotes(result.source), ""];
  if (result.dryRun) parts.push(dryRunTable(result), "", ...diffLines(result));
  else parts.push(appliedTable(result), ...failureLines(result));
  return parts.join("\n").replace(/\n+$/, "");
}

function dryRunTable(result: legacyMigration.DryRunMigrationResult): string {
  const row = (name: string, c: legacyMigration.DryRunMigrationResult["perCollection"]["linkdefs"]) => [
    name,
    String(c.wouldCreate),
    String(c.wouldUpdate),
    String(c.skipped),
    String(c.unchanged),
  ];
  return formatTable(
    ["COLLECTION", "WOULD CREATE", "WOULD UPDATE", "SKIP", "UNCHANGED"],
    [...COLLECTION_NAMES.map((c) => row(c, result.perCollection[c])), row("total", result)],
  );
}

function appliedTable(result: legacyMigration.AppliedMigrationResult): string {
  const row = (name: string, c: legacyMigration.AppliedMigrationResult["perCollection"]["linkdefs"]) => [
    name,
    String(c.created),
    String(c.updated),
    String(c.skipped),
    String(c.unchanged),
    String(c.failed),
  ];
  return formatTable(
    ["COLLECTION", "CREATED", "UPDATED", "SKIPPED", "UNCHANGED", "FAILED"],
    [...COLLECTION_NAMES.map((c) => row(c, result.perCollection[c])), row("total", result)],
  );
}

/** The diff of a dry run: every key a real run would create, update or (by policy) skip. */
function diffLines(result: legacyMigration.DryRunMigrationResult): string[] {
  const changes = result.diff.filter((d) => d.action !== "unchanged");
  const unchanged = result.diff.length - changes.length;
  const lines: string[] = [];
  if (changes.length === 0) lines.push("nothing to create or update");
  else {
    lines.push(
      formatTable(
        ["ACTION", "COLLECTION", "KEY", "VALUE"],
        changes.map((d) => [d.action, d.collection, d.key, describeChange(d)]),
      ),
    );
  }
  if (unchanged > 0) lines.push(`(${unchanged} unchanged not listed; --json shows every key)`);
  return lines;
}

function failureLines(result: legacyMigration.AppliedMigrationResult): string[] {
  if (result.failures.length === 0) return [];
  return [
    "",
    "failed writes (running the command again retries them):",
    formatTable(
      ["COLLECTION", "KEY", "CODE", "MESSAGE"],
      result.failures.map((f) => [f.collection, f.key, f.code, f.message]),
    ),
  ];
}

function describeSource(source: legacyMigration.MigrationSource): string {
  if (source.kind === "legacy") {
    const replies = Object.values(source.replies).reduce((a, b) => a + b, 0);
    return (
      `${source.records} keys from old hosts (${replies} .get replies` +
      `${source.invalid > 0 ? `, ${source.invalid} invalid items skipped` : ""}` +
      `${source.bridgeReplies > 0 ? `, ${source.bridgeReplies} bridge replies ignored` : ""})`
    );
  }
  if (!source.found) return `no stream ${source.stream}: nothing to migrate`;
  return (
    `${source.records} keys from stream ${source.stream} (${source.messages} messages` +
    `${source.deletedSkipped > 0 ? `, ${source.deletedSkipped} deleted link definitions skipped` : ""}` +
    `${source.invalid > 0 ? `, ${source.invalid} invalid messages skipped` : ""})`
  );
}

function sourceNotes(source: legacyMigration.MigrationSource): string[] {
  if (source.kind === "stream") {
    if (!source.found) return [];
    return [
      source.sourceDeleted
        ? `  stream ${source.stream} deleted`
        : `  stream ${source.stream} kept (--delete-source removes it after a run without failures)`,
    ];
  }
  if (source.conflicts.length === 0) return [];
  return [
    `  drift: old hosts disagree on ${source.conflicts.length} keys; the value most of them reported was taken:`,
    ...source.conflicts.map((c) => `    ${c.collection} ${c.key} (${c.variants} variants)`),
  ];
}

function describeChange(entry: legacyMigration.MigrationDiffEntry): string {
  const after = describeValue(entry, "after");
  if (entry.before === undefined) return after;
  return `${after} (durable now: ${describeValue(entry, "before")})`;
}

function describeValue(entry: legacyMigration.MigrationDiffEntry, which: "before" | "after"): string {
  switch (entry.collection) {
    case "linkdefs": {
      const l = entry[which];
      if (!l) return "none";
      const values = formatValues(l.values);
      return `${l.actor_id} -> ${l.provider_id} (${l.contract_id}, link ${l.link_name})${values ? ` ${values}` : ""}`;
    }
    case "claims": {
      const c = entry[which];
      if (!c) return "none";
      return `${c.name || "(no name)"} rev ${c.rev}${c.version ? ` version ${c.version}` : ""}${c.caps ? ` caps ${c.caps}` : ""}`;
    }
    case "refmaps": {
      const r = entry[which];
      return r ? `${r.oci_url} -> ${r.public_key}` : "none";
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
