// `lattice watch [COLLECTION]`: one line per change until Ctrl-C (JSON lines with --json).
import { COLLECTION_NAMES, type CollectionName, type LatticeChange } from "@lattice-cache/core";
import { Argument, type Command } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { READ_ONLY, withReadyCache } from "../cli/one-shot.js";
import { escapeTerminalValue } from "../cli/terminal-text.js";
import { waitForStopSignal } from "../runtime/shutdown-signals.js";

/** Adds `watch` to `program`. */
export function registerWatchCommand(program: Command, ctx: CliContext): void {
  program
    .command("watch")
    .description("print each change as it happens, until Ctrl-C")
    .addArgument(new Argument("[collection]", "only this collection").choices(COLLECTION_NAMES))
    .action(async (collection: CollectionName | undefined, _opts: unknown, command: Command) => {
      const json = ctx.json(command);
      const stop = waitForStopSignal(() => ctx.note("stopping now"));
      try {
        await withReadyCache(
          ctx,
          command,
          async (cache) => {
            const abort = new AbortController();
            void stop.signal.then(() => abort.abort());
            const collections = collection ? [collection] : [...COLLECTION_NAMES];
            ctx.note(
              `watching ${collections.join(", ")} from revision ${cache.status().revision} (Ctrl-C to stop)`,
            );
            for await (const change of cache.watch({ collections, signal: abort.signal })) {
              ctx.print(json ? JSON.stringify(changeRecord(change)) : changeLine(change));
            }
          },
          READ_ONLY,
        );
      } finally {
        stop.dispose();
      }
    });
}

function changeRecord(change: LatticeChange): Record<string, unknown> {
  return {
    collection: change.collection,
    operation: change.operation,
    key: change.key,
    revision: change.revision,
    origin: change.origin ?? null,
    value: change.value ?? null,
    previous: change.previous ?? null,
  };
}

/** One line per change: the key escaped (a value is JSON, whose control characters are escaped already). */
function changeLine(change: LatticeChange): string {
  const head = `${change.operation.padEnd(6)} ${change.collection.padEnd(8)} ${escapeTerminalValue(change.key)} @${change.revision}`;
  return change.value === undefined ? head : `${head} ${JSON.stringify(change.value)}`;
}
