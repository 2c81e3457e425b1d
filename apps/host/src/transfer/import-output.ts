// How an import's summary reads (for `lattice import` and `lattice copy`).
import type { ImportSummary } from "./import-writer.js";

/** `created 3, updated 1, unchanged 10, deleted 0, conflicts retried 0` (a dry run: "would be"). */
export function importSummaryText(summary: ImportSummary): string {
  const tally =
    `created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, ` +
    `deleted ${summary.deleted}, conflicts retried ${summary.conflictsRetried}`;
  return summary.dryRun ? `dry run, nothing written — would be: ${tally}` : tally;
}
