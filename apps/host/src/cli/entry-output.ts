// How collection commands print what they read or wrote, in text or JSON.
import type { CacheEntry, WriteOutcome } from "@lattice-cache/core";
import type { CliContext } from "./cli-context.js";
import { formatFields, formatTable } from "./text-table.js";

/** Prints one entry: its wire-shape value with `--json`, else key, revision and fields. */
export function printEntry<V extends object>(
  ctx: CliContext,
  json: boolean,
  entry: CacheEntry<V>,
  fields: (value: V) => readonly (readonly [string, string])[],
): void {
  if (json) {
    ctx.printJson(entry.value);
    return;
  }
  ctx.print(
    formatFields([
      ["key", entry.key],
      ["revision", String(entry.revision)],
      ...(entry.origin ? [["origin", entry.origin] as const] : []),
      ...fields(entry.value),
    ]),
  );
}

/** Prints a list: a JSON array of wire-shape values with `--json`, else a table (or a note when empty). */
export function printList<V>(
  ctx: CliContext,
  json: boolean,
  values: readonly V[],
  table: {
    headers: readonly string[];
    row: (value: V) => readonly string[];
    empty: string;
    sortKey: (value: V) => string;
  },
): void {
  const sorted = [...values].sort((a, b) =>
    table.sortKey(a) < table.sortKey(b) ? -1 : table.sortKey(a) > table.sortKey(b) ? 1 : 0,
  );
  if (json) ctx.printJson(sorted);
  else if (sorted.length === 0) ctx.print(table.empty);
  else ctx.print(formatTable(table.headers, sorted.map(table.row)));
}

/** Prints the result of a put or delete. */
export function printWrite(
  ctx: CliContext,
  json: boolean,
  operation: "put" | "deleted",
  outcome: WriteOutcome,
  value?: unknown,
): void {
  if (json) {
    ctx.printJson({
      key: outcome.key,
      revision: outcome.revision,
      ...(value === undefined ? { deleted: true } : { value }),
    });
  } else {
    ctx.print(`${operation} ${outcome.key} (revision ${outcome.revision})`);
  }
}
