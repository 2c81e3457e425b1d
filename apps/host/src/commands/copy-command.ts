// `lattice copy --to KEY=VALUE… [--to-config FILE] [--mode merge|replace] [--no-verify]`: export piped into
// import in one process — a snapshot of the configured (source) lattice, written into a second configuration's
// lattice with compare-and-swap — then the target's content digest compared with the source's (--verify).
import type { CollectionName } from "@lattice-cache/core";
import { COLLECTION_NAMES } from "@lattice-cache/core";
import type { Command } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { UsageError } from "../cli/cli-errors.js";
import { READ_ONLY } from "../cli/one-shot.js";
import { withOpenBackend } from "../cli/one-shot-backend.js";
import type { HostConfig } from "../config/host-config.js";
import { collectAssignment, copyTargetConfig } from "../transfer/copy-target.js";
import { importSummaryText } from "../transfer/import-output.js";
import { type ImportMode, importEntries, importTargetOf } from "../transfer/import-writer.js";
import { type LatticeSnapshot, takeSnapshot } from "../transfer/lattice-snapshot.js";
import { CopyVerifyError } from "../transfer/transfer-errors.js";
import { countsText, TransferProgress } from "../transfer/transfer-progress.js";
import { collectionOption } from "./export-command.js";
import { importModeOption } from "./import-command.js";

interface CopyOptions {
  readonly to: string[];
  readonly toConfig?: string;
  readonly mode: ImportMode;
  readonly verify: boolean;
  readonly collection?: CollectionName[];
}

/** Adds `copy` to `program`. */
export function registerCopyCommand(program: Command, ctx: CliContext): void {
  program
    .command("copy")
    .description(
      "copy the lattice from the configured backend to another one (--to settings, as the config file's keys), " +
        "with compare-and-swap; then compare the target's content digest with the source's (--no-verify skips it)",
    )
    .option(
      "--to <key=value>",
      "a setting of the target (repeatable): backend=redis, redis.url=…, prefix=…; unset ones default (prefix: the source's)",
      collectAssignment,
      [],
    )
    .option("--to-config <file>", "a YAML or JSON config file for the target (--to settings override it)")
    .addOption(importModeOption())
    .addOption(collectionOption())
    .option("--no-verify", "skip the digest comparison at the end")
    .action(async (opts: CopyOptions, command: Command) => {
      const source = ctx.config(command);
      const target = copyTargetConfig(ctx.registry, opts.to, opts.toConfig, source.prefix);
      const from = `${source.backend} (${ctx.registry.targetOf(source)}), prefix ${source.prefix}`;
      const to = `${target.backend} (${ctx.registry.targetOf(target)}), prefix ${target.prefix}`;
      if (from === to) throw new UsageError(`the target is the source: ${from}`);
      if (ctx.dryRun) return;
      const collections = opts.collection ? [...new Set(opts.collection)] : [...COLLECTION_NAMES];
      const progress = new TransferProgress(ctx.io.stderr, ctx.io.stderrIsTTY === true);
      const snapshotOf = (config: HostConfig, what: string) => {
        progress.phase(`reading a snapshot of ${what}`);
        return withOpenBackend(
          ctx,
          command,
          {
            act: (backend) =>
              takeSnapshot(backend, {
                collections,
                idleTimeoutMs: config.readyTimeoutMs,
                onReceived: (n) => progress.count("received", n),
                onRestart: (reason, attempt) =>
                  progress.phase(
                    `the history changed (${reason}); snapshot restarted (attempt ${attempt + 1})`,
                  ),
                onInvalid: (key, reason) =>
                  ctx.note(`skipped ${key}: its stored value is invalid (${reason})`),
              }),
          },
          { ...READ_ONLY, config },
        );
      };
      const snapshot = (await snapshotOf(source, from)) as LatticeSnapshot;
      try {
        progress.phase(
          `copying ${snapshot.entries} entries (${countsText(snapshot.counts)}) at revision ${snapshot.revision} to ${to} (${opts.mode})`,
        );
        const summary = await withOpenBackend(
          ctx,
          command,
          {
            act: (backend, config) =>
              importEntries(importTargetOf(backend, config), snapshot.read(), {
                mode: opts.mode,
                dryRun: false,
                collections,
                holds: (key) => snapshot.holds(key),
                idleTimeoutMs: config.readyTimeoutMs,
                onReceived: (n) => progress.count("received from the target", n),
                onProgress: (n) => progress.count("done", n, snapshot.entries),
              }),
          },
          { config: target },
        );
        if (!summary) return;
        let verified: { digest: string; entries: number } | undefined;
        if (opts.verify) {
          const copy = (await snapshotOf(target, `the target ${to} to verify it`)) as LatticeSnapshot;
          copy.remove();
          verified = { digest: copy.digest, entries: copy.entries };
        }
        progress.end();
        const report = {
          source: {
            backend: source.backend,
            prefix: source.prefix,
            revision: snapshot.revision,
            epoch: snapshot.epoch,
          },
          target: { backend: target.backend, prefix: target.prefix },
          collections: snapshot.counts,
          entries: snapshot.entries,
          digest: snapshot.digest,
          ...summary,
          ...(verified && { verified: verified.digest === snapshot.digest, targetDigest: verified.digest }),
        };
        if (ctx.json(command)) ctx.printJson(report);
        else {
          ctx.print(
            `copied ${snapshot.entries} entries at revision ${snapshot.revision}: ${importSummaryText(summary)}`,
          );
          if (verified && verified.digest === snapshot.digest) {
            ctx.print(`verified: the target's content digest is the source's (${snapshot.digest})`);
          }
        }
        if (verified && verified.digest !== snapshot.digest) {
          throw new CopyVerifyError(snapshot.digest, verified.digest, snapshot.entries, verified.entries);
        }
      } finally {
        progress.end();
        snapshot.remove();
      }
    });
}
