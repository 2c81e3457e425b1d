// `lattice migrate --from legacy|stream`: a one-shot import into the durable backend of what old hosts hold
// (their `.get` answers) or of a generation-2 `LATTICECACHE_{prefix}` stream, with a dry run and progress.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { OperationalError, UsageError } from "../cli/cli-errors.js";
import { assertDurableBackend } from "../cli/durable-backend.js";
import { formatMigrationResult, migrationProgressPrinter } from "../cli/migration-output.js";
import { withReadyCache } from "../cli/one-shot.js";
import { ProgressLine } from "../cli/progress-line.js";
import { legacyMigration } from "../composition/builtin-backends.js";
import { createHostLogger } from "../observability/host-logger.js";

/** Where a migration reads from. */
const MIGRATION_SOURCES = ["legacy", "stream"] as const;

interface MigrateOptions {
  readonly from: (typeof MIGRATION_SOURCES)[number];
  readonly dryRun?: boolean;
  readonly policy: legacyMigration.MigrationPolicy;
  readonly deleteSource?: boolean;
  readonly window?: number;
}

/** Adds `migrate` to `program`. */
export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command("migrate")
    .description(
      "import into the durable backend what old hosts hold (--from legacy) or a generation-2 " +
        "LATTICECACHE_{prefix} stream (--from stream); idempotent, --dry-run writes nothing",
    )
    .addOption(
      new Option("--from <source>", "legacy: the old hosts' .get answers; stream: the generation-2 stream")
        .choices(MIGRATION_SOURCES)
        .makeOptionMandatory(),
    )
    .option("--dry-run", "compare and print the diff; write nothing")
    .addOption(
      new Option(
        "--policy <policy>",
        "create-only never overwrites a durable value; legacy-wins overwrites when different",
      )
        .choices(legacyMigration.MIGRATION_POLICIES)
        .default("create-only"),
    )
    .option("--delete-source", "--from stream: delete the stream after a run without failures")
    .option(
      "--window <ms>",
      "--from legacy: how long to gather .get replies (default 2000); " +
        "--from stream: the silence that ends reading (default 200)",
      parseWindow,
    )
    .action(async (opts: MigrateOptions, command: Command) => {
      if (opts.deleteSource && opts.from !== "stream") {
        throw new UsageError(
          "--delete-source goes with --from stream: old hosts have nothing to delete (stop them instead)",
        );
      }
      const config = ctx.config(command);
      assertDurableBackend(config, "migrate");
      if (ctx.dryRun) return;
      const json = ctx.json(command);
      const target = ctx.registry.targetOf(config);
      const line = new ProgressLine({ write: ctx.io.stderr, tty: ctx.io.stderrIsTTY === true });
      line.phase(`syncing with ${config.backend} (${target}), prefix ${config.prefix}`);
      const result = await withReadyCache(ctx, command, (cache, ready) => {
        const common = {
          ...legacyMigration.legacyConnectionOf(ready),
          durable: cache,
          policy: opts.policy,
          dryRun: opts.dryRun === true,
          onProgress: migrationProgressPrinter(line),
          logger: createHostLogger(ready.logLevel ?? "warn", ready.logFormat),
        };
        return opts.from === "legacy"
          ? legacyMigration.migrateFromLegacy({ ...common, windowMs: opts.window })
          : legacyMigration.migrateFromStream({
              ...common,
              idleMs: opts.window,
              domain: ready.nats.jsDomain,
              deleteSource: opts.deleteSource === true,
            });
      });
      line.end();
      if (!result) return;
      if (json) ctx.printJson(result);
      else {
        ctx.print(
          formatMigrationResult(result, {
            durable: `${config.backend} (${target})`,
            prefix: config.prefix,
            policy: opts.policy,
          }),
        );
      }
      assertNoFailures(result);
    });
}

/** Exit 1 when a write failed (the result is printed first; running again retries the failed keys). */
function assertNoFailures(result: legacyMigration.MigrationResult): void {
  if (result.dryRun || result.failed === 0) return;
  const kept =
    result.source.kind === "stream" && result.source.found && !result.source.sourceDeleted
      ? "; the stream was kept"
      : "";
  throw new OperationalError(
    `${result.failed} of the migration's writes failed${kept}; run the command again to retry them`,
  );
}

function parseWindow(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 10 || n > 600_000) {
    throw new InvalidArgumentError("expected milliseconds from 10 to 600000");
  }
  return n;
}
