// `lattice export [--out FILE] [--collection NAME]…`: a consistent snapshot of the lattice's collections, in the
// versioned JSON-lines export format (docs/transfer-format.md), read in bounded memory from the backend's feed.
import { COLLECTION_NAMES, type CollectionName, errorText } from "@lattice-cache/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { UsageError } from "../cli/cli-errors.js";
import { READ_ONLY } from "../cli/one-shot.js";
import { withOpenBackend } from "../cli/one-shot-backend.js";
import { ExportFile, type ExportOutput, ExportStream } from "../transfer/export-output.js";
import { exportLattice } from "../transfer/exporter.js";
import { countsText, TransferProgress } from "../transfer/transfer-progress.js";

interface ExportOptions {
  readonly out?: string;
  readonly collection?: CollectionName[];
}

/** The `--collection` option of export (repeatable; default: every collection). */
export function collectionOption(): Option {
  return new Option("--collection <name>", "export only this collection (repeatable; default: all three)")
    .choices(COLLECTION_NAMES)
    .argParser((value: string, previous: string[] | undefined) => {
      if (!(COLLECTION_NAMES as readonly string[]).includes(value)) {
        throw new InvalidArgumentError(`Allowed choices are ${COLLECTION_NAMES.join(", ")}.`);
      }
      return [...(previous ?? []), value];
    });
}

/** Adds `export` to `program`. */
export function registerExportCommand(program: Command, ctx: CliContext): void {
  program
    .command("export")
    .description(
      "write a consistent snapshot of the lattice (one revision of one history) as JSON lines: header, one " +
        "line per entry, trailer with count and digest (docs/transfer-format.md); --out FILE is created mode 0600",
    )
    .option("--out <file>", "the export file (`-` or absent: stdout)")
    .addOption(collectionOption())
    .action(async (opts: ExportOptions, command: Command) => {
      const collections = opts.collection ? [...new Set(opts.collection)] : [...COLLECTION_NAMES];
      const toFile = opts.out !== undefined && opts.out !== "-";
      const json = ctx.json(command);
      const report = await withOpenBackend(
        ctx,
        command,
        {
          act: async (backend, config) => {
            const output: ExportOutput = toFile
              ? openFile(opts.out as string)
              : new ExportStream(ctx.io.stdout);
            if (toFile) {
              ctx.note(
                `writing ${opts.out} with mode 0600: link definition values often hold provider secrets — keep the file private`,
              );
            }
            const progress = new TransferProgress(ctx.io.stderr, ctx.io.stderrIsTTY === true);
            const target = ctx.registry.targetOf(config);
            progress.phase(`reading a snapshot of ${config.backend} (${target}), prefix ${config.prefix}`);
            try {
              return await exportLattice(backend, {
                prefix: config.prefix,
                sourceBackend: config.backend,
                collections,
                idleTimeoutMs: config.readyTimeoutMs,
                output,
                onReceived: (n) => progress.count("received", n),
                onRestart: (reason, attempt) =>
                  progress.phase(
                    `the backend's history changed (${reason}); snapshot restarted (attempt ${attempt + 1})`,
                  ),
                onInvalid: (key, reason) =>
                  ctx.note(`skipped ${key}: its stored value is invalid (${reason})`),
                onWritten: (n, total) => progress.count("written", n, total),
              });
            } finally {
              progress.end();
            }
          },
        },
        READ_ONLY,
      );
      if (!report) return;
      const where = toFile ? opts.out : "stdout";
      const text =
        `exported ${report.entries} entries (${countsText(report.collections)}) of prefix ${report.prefix} ` +
        `at revision ${report.revision} to ${where}; digest ${report.digest}`;
      if (!toFile) ctx.note(text);
      else if (json) ctx.printJson({ ...report, file: opts.out });
      else ctx.print(text);
    });
}

function openFile(path: string): ExportFile {
  try {
    return new ExportFile(path);
  } catch (error) {
    throw new UsageError(`cannot create ${path}: ${errorText(error)}`, { cause: error });
  }
}
