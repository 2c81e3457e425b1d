// `lattice status`: open a replica, wait for the initial sync, print its status.
import type { CacheStatus } from "@lattice-cache/core";
import type { Command } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { withReadyCache } from "../cli/one-shot.js";
import { formatFields } from "../cli/text-table.js";

/** Adds `status` to `program`. */
export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("sync a replica and print its status (state, revision, digest, counts)")
    .action(async (_opts: unknown, command: Command) => {
      await withReadyCache(ctx, command, (cache, config) => {
        const status = cache.status();
        if (ctx.json(command)) return ctx.printJson({ ...status, prefix: config.prefix });
        ctx.print(formatStatus(status, config.prefix, ctx.registry.targetOf(config)));
      });
    });
}

/** The human form of a status. */
export function formatStatus(s: CacheStatus, prefix: string, target: string): string {
  const c = s.counters;
  return formatFields([
    ["state", s.state],
    ["host", s.hostId],
    ["backend", `${s.backend} (${target}), prefix ${prefix}`],
    ["revision", `${s.revision} (backend ${s.backendRevision ?? "unknown"}, lag ${s.lag})`],
    ["digest", s.digest],
    ["entries", `linkdefs ${s.counts.linkdefs}, claims ${s.counts.claims}, refmaps ${s.counts.refmaps}`],
    ["stale", s.staleSince ? `since ${s.staleSince} (${Math.round(s.staleForMs / 1000)} s)` : "no"],
    ["last problem", s.lastError ?? "none"],
    [
      "counters",
      `applied ${c.appliedChanges}, resyncs ${c.resyncs}, feed restarts ${c.feedRestarts}, ` +
        `invalid entries ${c.invalidEntries}, writes ${c.writes}`,
    ],
  ]);
}
