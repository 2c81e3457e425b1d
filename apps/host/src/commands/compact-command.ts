// `lattice compact [--older-than DURATION] [--dry-run]`: remove the delete markers older than the tombstone
// retention from the backend by hand — what running hosts do by themselves about once an hour — through
// core's `compactLattice` (one host at a time, a lease on the backend), and print what went.
// Rules cited here: docs/semantics.md#rule-6.
import { compactionUnsupported, compactLattice, UnsupportedOperationError } from "@lattice-cache/core";
import { DURATION_EXAMPLES, formatDuration, parseDuration } from "@lattice-cache/plugin";
import { type Command, InvalidArgumentError } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { OperationalError, UsageError } from "../cli/cli-errors.js";
import { compactionProgressPrinter, formatCompaction } from "../cli/compaction-output.js";
import { withOpenBackend } from "../cli/one-shot-backend.js";
import { ProgressLine } from "../cli/progress-line.js";

interface CompactOptions {
  readonly olderThan?: number;
  readonly dryRun?: boolean;
}

/** Adds `compact` to `program`. */
export function registerCompactCommand(program: Command, ctx: CliContext): void {
  program
    .command("compact")
    .description(
      "remove delete markers older than the tombstone retention (or --older-than) from the backend and " +
        "print them (rule 6: a compacted key never comes back); one host at a time, --dry-run removes nothing",
    )
    .option(
      "--older-than <duration>",
      `remove markers older than this (${DURATION_EXAMPLES}; default: the tombstoneRetention setting)`,
      parseOlderThan,
    )
    .option("--dry-run", "list the markers that would be removed; remove nothing")
    .action(async (opts: CompactOptions, command: Command) => {
      const json = ctx.json(command);
      const outcome = await withOpenBackend(ctx, command, {
        check: (backend, config) => {
          const why = compactionUnsupported(backend);
          if (why !== undefined) {
            throw new UsageError(
              `the ${config.backend} backend cannot compact tombstones: ${why}; choose jetstream or redis`,
              { cause: new UnsupportedOperationError("tombstone compaction", backend.name) },
            );
          }
          if (opts.olderThan === undefined && config.tombstoneRetention === 0) {
            throw new UsageError(
              "tombstoneRetention is 0 (tombstones are kept forever), so nothing is due; give --older-than to compact anyway",
            );
          }
        },
        act: async (backend, config) => {
          const olderThanMs = opts.olderThan ?? config.tombstoneRetention;
          const target = `${config.backend} (${ctx.registry.targetOf(config)})`;
          const line = new ProgressLine({ write: ctx.io.stderr, tty: ctx.io.stderrIsTTY === true });
          line.phase(
            `scanning ${target}, prefix ${config.prefix}, for delete markers older than ${formatDuration(olderThanMs)}`,
          );
          const result = await compactLattice(backend, {
            olderThanMs,
            dryRun: opts.dryRun === true,
            hostId: config.hostId ?? "cli",
            progress: compactionProgressPrinter(line),
          });
          line.end();
          return {
            result,
            scope: { backend: target, prefix: config.prefix, olderThan: formatDuration(olderThanMs) },
          };
        },
      });
      if (outcome === undefined) return;
      const { result, scope } = outcome;
      if (result.status !== "compacted") {
        const why =
          result.status === "held"
            ? `${result.holder} holds the compaction lease until ${result.until}`
            : `the last run was at ${result.lastRun}`;
        throw new OperationalError(`skipped: ${why}; nothing was removed (run again after that)`);
      }
      if (json) ctx.printJson(result.report);
      else ctx.print(formatCompaction(result.report, scope));
    });
}

function parseOlderThan(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) {
    throw new InvalidArgumentError(`expected a duration above 0, like ${DURATION_EXAMPLES}`);
  }
  return ms;
}
