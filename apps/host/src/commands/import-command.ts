// `lattice import FILE [--dry-run] [--mode merge|replace]`: checks the whole export file first (nothing is
// written when any line is bad), then writes it into the configured lattice with compare-and-swap, idempotent
// and resumable (transfer/import-writer.ts).
import { type CollectionName, errorText, type LatticeCache, LatticeCacheError } from "@lattice-cache/core";
import { type Command, Option } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { UsageError } from "../cli/cli-errors.js";
import { READ_ONLY, withReadyCache } from "../cli/one-shot.js";
import { checkExportFile, formatLineProblem, readExportEntries } from "../transfer/export-file-reader.js";
import { importSummaryText } from "../transfer/import-output.js";
import { IMPORT_MODES, type ImportMode, importEntries } from "../transfer/import-writer.js";
import { TransferFileError } from "../transfer/transfer-errors.js";
import { TransferProgress } from "../transfer/transfer-progress.js";

interface ImportOptions {
  readonly dryRun?: boolean;
  readonly mode: ImportMode;
}

/** The `--mode` option of import and copy. */
export function importModeOption(): Option {
  return new Option(
    "--mode <mode>",
    "merge: create or update, never delete; replace: also delete the entries the source does not hold (within its collections)",
  )
    .choices(IMPORT_MODES)
    .default("merge");
}

/** Adds `import` to `program`. */
export function registerImportCommand(program: Command, ctx: CliContext): void {
  program
    .command("import")
    .description(
      "write an export file into the lattice: the whole file is checked first (nothing is written when any " +
        "line is bad), then each entry with compare-and-swap; idempotent and resumable, --dry-run writes nothing",
    )
    .argument("<file>", "an export file (`lattice export --out FILE`)")
    .option("--dry-run", "check the file and compare it with the lattice; write nothing")
    .addOption(importModeOption())
    .action(async (file: string, opts: ImportOptions, command: Command) => {
      const config = ctx.config(command);
      const progress = new TransferProgress(ctx.io.stderr, ctx.io.stderrIsTTY === true);
      progress.phase(`checking ${file}`);
      let checked: Awaited<ReturnType<typeof checkExportFile>>;
      try {
        checked = await checkExportFile(file, config.maxValueBytes);
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${errorText(error)}`, { cause: error });
      }
      const { header } = checked;
      if (checked.problems.length > 0 || !header) {
        for (const p of checked.problems) ctx.note(formatLineProblem(file, p));
        if (checked.moreProblems > 0) ctx.note(`… and ${checked.moreProblems} more problems`);
        throw new TransferFileError(file, checked.problems);
      }
      if (header.prefix !== config.prefix) {
        ctx.note(
          `the file was exported from prefix ${header.prefix}; importing into prefix ${config.prefix}`,
        );
      }
      if (ctx.dryRun) return;
      const dryRun = opts.dryRun === true;
      const collections = Object.keys(header.collections) as CollectionName[];
      const run = async (cache: LatticeCache | undefined) => {
        const target = ctx.registry.targetOf(config);
        progress.phase(
          `${dryRun ? "comparing" : "importing"} ${checked.entries} entries (${opts.mode}) into ${config.backend} (${target}), prefix ${config.prefix}`,
        );
        try {
          return await importEntries(cache, readExportEntries(file, header, config.maxValueBytes), {
            mode: opts.mode,
            dryRun,
            collections,
            holds: checked.keys.has,
            onProgress: (n) => progress.count(dryRun ? "compared" : "done", n),
          });
        } finally {
          progress.end();
        }
      };
      let summary: Awaited<ReturnType<typeof run>> | undefined;
      if (!dryRun) summary = await withReadyCache(ctx, command, run);
      else {
        // A dry run writes nothing, so it creates no lattice either: a missing one is compared as empty.
        try {
          summary = await withReadyCache(ctx, command, run, READ_ONLY);
        } catch (error) {
          if (!LatticeCacheError.hasCode(error, "LATTICE_NOT_FOUND")) throw error;
          ctx.note(
            `${errorText(error)}; compared as an empty lattice (importing would create it, as createLattice allows)`,
          );
          summary = await run(undefined);
        }
      }
      if (!summary) return;
      if (ctx.json(command)) {
        ctx.printJson({
          file,
          prefix: config.prefix,
          backend: config.backend,
          source: { prefix: header.prefix, backend: header.sourceBackend, revision: header.revision },
          entries: checked.entries,
          digest: header.digest,
          ...summary,
        });
      } else ctx.print(`${dryRun ? "" : `imported ${file}: `}${importSummaryText(summary)}`);
    });
}
