// Tombstone compaction on PostgreSQL (rule 6, bounded storage): the entries are scanned in key order, a
// page at a time; the tombstones whose delete time (`written_at`) is older than the cutoff are removed —
// the entry and its change-log row — by one statement per page that removes a tombstone only while it is
// still that tombstone (same revision, still deleted), so a key written again meanwhile is never touched. A
// feed that would read across a removed change-log row finds a hole (core's followLog reads the log for
// contiguity) or a log that starts later than it needs: a gap, and a resync.
// Rules cited here: docs/semantics.md#rule-6, #rule-9.
import { type CompactionReport, type CompactionRequest, CompactionScan } from "@lattice-cache/core/backend";
import type { Queryable } from "./lattice-queries.js";
import type { LatticeSchema } from "./lattice-schema.js";

/** Entries looked at per page. */
const PAGE_SIZE = 1_000;

interface ScannedRow {
  readonly key: string;
  readonly revision: string;
  readonly deleted: boolean;
  readonly written_at: string;
}

/** A due tombstone, as the removal takes it. */
interface DueTombstone {
  readonly key: string;
  readonly revision: number;
  readonly writtenAt: number;
}

/** Compacts the lattice's tombstones (see the file comment); a dry run removes nothing. */
export async function compactTombstones(
  db: Queryable,
  schema: LatticeSchema,
  request: CompactionRequest,
): Promise<CompactionReport> {
  const scan = new CompactionScan(request);
  let after: string | undefined;
  for (;;) {
    const { rows } = await db.query<ScannedRow>(
      `SELECT key, revision, value IS NULL AS deleted, written_at FROM ${schema.entries} ` +
        `${after === undefined ? "" : "WHERE key > $2 "}ORDER BY key LIMIT $1`,
      after === undefined ? [PAGE_SIZE] : [PAGE_SIZE, after],
    );
    scan.scanned(rows.length);
    const due = rows
      .filter((row) => row.deleted && scan.due(Number(row.written_at)))
      .map((row) => ({ key: row.key, revision: Number(row.revision), writtenAt: Number(row.written_at) }));
    const removed = scan.dryRun ? due : await removeTombstones(db, schema, due);
    for (const t of removed) scan.removed(t.key, t.revision, t.writtenAt);
    if (rows.length < PAGE_SIZE) break;
    after = (rows.at(-1) as ScannedRow).key;
  }
  return scan.report();
}

/** Removes the tombstones still as found, with their change-log rows, in one statement; returns those removed. */
async function removeTombstones(
  db: Queryable,
  schema: LatticeSchema,
  due: readonly DueTombstone[],
): Promise<DueTombstone[]> {
  if (due.length === 0) return [];
  const { rows } = await db.query<{ key: string; revision: string; written_at: string }>(
    `WITH gone AS (
       DELETE FROM ${schema.entries} e USING unnest($1::text[], $2::bigint[]) AS t(key, revision)
       WHERE e.key = t.key AND e.revision = t.revision AND e.value IS NULL
       RETURNING e.key, e.revision, e.written_at
     ), unlogged AS (
       DELETE FROM ${schema.changes} c USING gone WHERE c.revision = gone.revision
     )
     SELECT key, revision, written_at FROM gone`,
    [due.map((t) => t.key), due.map((t) => t.revision)],
  );
  return rows.map((row) => ({
    key: row.key,
    revision: Number(row.revision),
    writtenAt: Number(row.written_at),
  }));
}
