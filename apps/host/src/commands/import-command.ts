// `lattice import FILE [--dry-run] [--mode merge|replace]`: checks the whole export file first (nothing is
// written when any line is bad), then writes it into the configured lattice with compare-and-swap, idempotent
// and resumable (transfer/import-writer.ts: the target's state read as a flat snapshot, no replica).
import { type CollectionName, errorText, LatticeCacheError } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import { type Command, Option } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { UsageError } from "../cli/cli-errors.js";
import { READ_ONLY } from "../cli/one-shot.js";
import { withOpenBackend } from "../cli/one-shot-backend.js";
import type { HostConfig } from "../config/host-config.js";
import { checkExportFile, formatLineProblem, readExportEntries } from "../transfer/export-file-reader.js";
import { importSummaryText } from "../transfer/import-output.js";
import {
  IMPORT_MODES,
  type ImportMode,
  type ImportTarget,
  importEntries,
  importTargetOf,
} from "../transfer/import-writer.js";
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
      const where = `${config.backend} (${ctx.registry.targetOf(config)}), prefix ${config.prefix}`;
      const run = async (target: ImportTarget | undefined) => {
        progress.phase(`reading the current state of ${where}`);
        try {
          return await importEntries(target, readExportEntries(file, header, config.maxValueBytes), {
            mode: opts.mode,
            dryRun,
            collections,
            holds: checked.keys.has,
            idleTimeoutMs: config.readyTimeoutMs,
            onReceived: (n) => progress.count("received", n),
            onTargetRead: () =>
              progress.phase(
                `${dryRun ? "comparing" : "importing"} ${checked.entries} entries (${opts.mode}) into ${where}`,
              ),
            onProgress: (n) => progress.count(dryRun ? "compared" : "done", n),
          });
        } finally {
          progress.end();
        }
      };
      const act = (backend: LatticeBackend, opened: HostConfig) => run(importTargetOf(backend, opened));
      let summary: Awaited<ReturnType<typeof run>> | undefined;
      if (!dryRun) summary = await withOpenBackend(ctx, command, { act });
      else {
        // A dry run writes nothing, so it creates no lattice either: a missing one is compared as empty.
        try {
          summary = await withOpenBackend(ctx, command, { act }, READ_ONLY);
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
