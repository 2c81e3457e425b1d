// `lattice apply -f FILE [--dry-run]`: create or replace the link definitions, claims and reference maps a
// JSON or YAML file names (apply-document.ts), leaving every other entry alone. Every item is validated before
// anything is written; the diff against the lattice is printed first, then written (or not, with --dry-run).

import { readFileSync } from "node:fs";
import { errorText, type LatticeCache, LatticeCacheError } from "@lattice-cache/core";
import type { Command } from "commander";
import { type ApplyItem, formatApplyProblem, readApplyDocument } from "../cli/apply-document.js";
import { type ApplyAction, countActions, type PlannedItem, planApply } from "../cli/apply-plan.js";
import type { CliContext } from "../cli/cli-context.js";
import { OperationalError, UsageError } from "../cli/cli-errors.js";
import { READ_ONLY, withReadyCache } from "../cli/one-shot.js";
import { ProgressLine } from "../cli/progress-line.js";

interface ApplyOptions {
  readonly file: string;
  readonly dryRun?: boolean;
}

/** What `lattice apply --json` prints. */
export interface ApplyReport {
  readonly dryRun: boolean;
  readonly added: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly items: readonly {
    readonly position: string;
    readonly collection: string;
    readonly key: string;
    readonly action: ApplyAction;
    readonly changes?: PlannedItem["changes"];
    /** The revision written (not in a dry run, not for an unchanged item). */
    readonly revision?: number;
  }[];
}

const MARKS: Record<ApplyAction, string> = { added: "+", changed: "~", unchanged: "=" };

/** Adds `apply` to `program`. */
export function registerApplyCommand(program: Command, ctx: CliContext): void {
  program
    .command("apply")
    .description(
      "create or replace the link definitions, claims and reference maps a JSON or YAML file names; " +
        "leave the rest; print the diff first (--dry-run: only the diff)",
    )
    .requiredOption("-f, --file <path>", "JSON or YAML file (`-` reads stdin)")
    .option("--dry-run", "print what would change; write nothing")
    .action(async (opts: ApplyOptions, command: Command) => {
      const source = opts.file === "-" ? "stdin" : opts.file;
      const document = readApplyDocument(
        readInput(ctx, opts.file),
        source,
        ctx.config(command).maxValueBytes,
      );
      if (document.problems.length > 0) {
        for (const problem of document.problems) ctx.note(formatApplyProblem(source, problem));
        const n = document.problems.length;
        throw new UsageError(`${n} problem${n === 1 ? "" : "s"} in ${source} (above); nothing was written`);
      }
      const json = ctx.json(command);
      const dryRun = opts.dryRun === true;
      /** Plans against `cache` (undefined: a lattice that does not exist yet, so every item is added). */
      const apply = async (cache: LatticeCache | undefined) => {
        const plan = planApply(document.items, (item) =>
          cache === undefined ? undefined : handleOf(cache, item).entryByKey(item.key)?.value,
        );
        if (!json) printPlan(ctx, plan);
        const revisions =
          dryRun || cache === undefined ? new Map<string, number>() : await write(ctx, cache, plan);
        const counts = countActions(plan);
        if (json) {
          const report: ApplyReport = {
            dryRun,
            ...counts,
            items: plan.map((p) => ({
              position: p.item.position,
              collection: p.item.collection,
              key: p.item.key,
              action: p.action,
              ...(p.action === "changed" ? { changes: p.changes } : {}),
              ...(revisions.has(p.item.key) ? { revision: revisions.get(p.item.key) } : {}),
            })),
          };
          ctx.printJson(report);
        } else {
          const tally = `${counts.added} added, ${counts.changed} changed, ${counts.unchanged} unchanged`;
          ctx.print(dryRun ? `dry run, nothing written: ${tally}` : `applied: ${tally}`);
        }
      };
      if (!dryRun) {
        await withReadyCache(ctx, command, apply);
        return;
      }
      // A dry run writes nothing, so it creates no lattice either: a missing one is planned as empty.
      try {
        await withReadyCache(ctx, command, apply, READ_ONLY);
      } catch (error) {
        if (!LatticeCacheError.hasCode(error, "LATTICE_NOT_FOUND")) throw error;
        ctx.note(
          `${errorText(error)}; planned as an empty lattice (applying would create it, as createLattice allows)`,
        );
        await apply(undefined);
      }
    });
}

function readInput(ctx: CliContext, path: string): string {
  try {
    return path === "-" ? ctx.io.stdin() : readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${errorText(error)}`, { cause: error });
  }
}

/** The collection handle an item goes to (typed loosely: the item's value is already normalized). */
function handleOf(cache: LatticeCache, item: ApplyItem) {
  return cache[item.collection] as unknown as {
    entryByKey(key: string): { value: unknown } | undefined;
    put(value: unknown): Promise<{ key: string; revision: number }>;
  };
}

/** Writes the added and changed items one by one, with a progress count; returns their revisions by key. */
async function write(
  ctx: CliContext,
  cache: LatticeCache,
  plan: readonly PlannedItem[],
): Promise<Map<string, number>> {
  const due = plan.filter((p) => p.action !== "unchanged");
  const revisions = new Map<string, number>();
  const line = new ProgressLine({ write: ctx.io.stderr, tty: ctx.io.stderrIsTTY === true });
  for (const [index, p] of due.entries()) {
    try {
      const outcome = await handleOf(cache, p.item).put(p.item.value);
      revisions.set(p.item.key, outcome.revision);
    } catch (error) {
      line.end();
      throw new OperationalError(
        `writing ${p.item.position} (${p.item.key}) failed after ${index} of ${due.length} writes: ${errorText(error)}`,
        { cause: error },
      );
    }
    line.count(`applied ${index + 1}/${due.length}`);
  }
  line.end();
  return revisions;
}

function printPlan(ctx: CliContext, plan: readonly PlannedItem[]): void {
  for (const p of plan) {
    ctx.print(`${MARKS[p.action]} ${p.item.collection} ${labelOf(p.item)} (${p.item.key})`);
    for (const c of p.changes) ctx.print(`    ${c.field}: ${shown(c.from)} → ${shown(c.to)}`);
  }
}

function labelOf(item: ApplyItem): string {
  const v = item.value as Record<string, string>;
  if (item.collection === "linkdefs") return `${v.actor_id} ${v.contract_id} ${v.link_name}`;
  if (item.collection === "claims") return v.sub as string;
  return v.oci_url as string;
}

function shown(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(value);
}
