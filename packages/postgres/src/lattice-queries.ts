// The statements the backend and its feeds run against a lattice's schema (lattice-schema.ts), each one
// round trip, and the rows they return decoded into core's types.
// Rules cited here: docs/semantics.md#rule-1, #rule-4, #rule-9.
import type {
  BackendEntry,
  BackendHead,
  DeliveredChange,
  LogHead,
  WriteRequest,
} from "@lattice-cache/core/backend";
import type { QueryResult, QueryResultRow } from "pg";
import type { LatticeSchema } from "./lattice-schema.js";

/** Anything that runs a query: the pool or one connection. */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** A row of `changes` or `entries` (bigint columns arrive as strings). */
export interface ChangeRow {
  readonly revision: string;
  readonly key: string;
  readonly value: Buffer | null;
  readonly origin: string;
  readonly written_at: string;
}

/** The columns a {@link ChangeRow} is read from. */
export const CHANGE_COLUMNS = "revision, key, value, origin, written_at";

/** A stored change as the feed and the history proof take it: no origin when it has none (a foreign writer). */
export function changeOf(row: ChangeRow): DeliveredChange {
  return {
    key: row.key,
    // A copy: node-postgres's small buffers are views into shared slabs a replica must not keep alive.
    value: row.value === null ? null : new Uint8Array(row.value),
    revision: Number(row.revision),
    ...(row.origin === "" ? {} : { origin: row.origin }),
    writtenAt: Number(row.written_at),
  };
}

/** The lattice's head: its revision and epoch. */
export async function readHead(db: Queryable, schema: LatticeSchema): Promise<BackendHead> {
  const { rows } = await db.query<{ revision: string; epoch: string }>(
    `SELECT revision, epoch FROM ${schema.meta}`,
  );
  const row = rows[0];
  return row === undefined
    ? { revision: 0, epoch: "" }
    : { revision: Number(row.revision), epoch: row.epoch };
}

/** The head and the oldest revision the change log holds (0 when it holds none), read together. */
export async function readLogHead(db: Queryable, schema: LatticeSchema): Promise<LogHead> {
  const { rows } = await db.query<{ revision: string; epoch: string; oldest: string | null }>(
    `SELECT revision, epoch, (SELECT min(revision) FROM ${schema.changes}) AS oldest FROM ${schema.meta}`,
  );
  const row = rows[0];
  if (row === undefined) return { revision: 0, epoch: "", oldest: 0 };
  return { revision: Number(row.revision), epoch: row.epoch, oldest: Number(row.oldest ?? 0) };
}

/**
 * Up to `limit` changes after revision `after`, in revision order. Every revision a statement sees was
 * committed after all lower ones (write-function.ts), so nothing lower can appear later (rule 1).
 */
export async function readChangesAfter(
  db: Queryable,
  schema: LatticeSchema,
  after: number,
  limit: number,
): Promise<DeliveredChange[]> {
  const { rows } = await db.query<ChangeRow>(
    `SELECT ${CHANGE_COLUMNS} FROM ${schema.changes} WHERE revision > $1 ORDER BY revision LIMIT $2`,
    [after, limit],
  );
  return rows.map(changeOf);
}

/** The logged changes at `revisions` (undefined where the log holds none any more), in the same order. */
export async function readChangesAt(
  db: Queryable,
  schema: LatticeSchema,
  revisions: readonly number[],
): Promise<(DeliveredChange | undefined)[]> {
  const { rows } = await db.query<ChangeRow>(
    `SELECT ${CHANGE_COLUMNS} FROM ${schema.changes} WHERE revision = ANY($1::bigint[])`,
    [revisions],
  );
  const byRevision = new Map(rows.map((row) => [Number(row.revision), changeOf(row)]));
  return revisions.map((revision) => byRevision.get(revision));
}

/** The key's latest stored change (a tombstone with its delete time), undefined when nothing is stored. */
export async function readEntry(
  db: Queryable,
  schema: LatticeSchema,
  key: string,
): Promise<BackendEntry | undefined> {
  const { rows } = await db.query<ChangeRow>(
    `SELECT ${CHANGE_COLUMNS} FROM ${schema.entries} WHERE key = $1`,
    [key],
  );
  const row = rows[0];
  return row && changeOf(row);
}

/** What the write function did: the revision it assigned, or the key's state when it refused. */
export type WriteOutcome =
  | { readonly written: true; readonly revision: number }
  | {
      readonly written: false;
      /** The key's state at the refusal, undefined when it holds nothing (or unknown: another history). */
      readonly current: { readonly revision: number; readonly deleted: boolean } | undefined;
      /** The expected revision belongs to another history than the lattice's (rule 4). */
      readonly otherHistory?: true;
    };

/** One write through the lattice's write function (write-function.ts), keeping `keep` changes logged. */
export async function writeChange(
  db: Queryable,
  schema: LatticeSchema,
  request: Pick<WriteRequest, "key" | "value" | "expectedRevision" | "expectedEpoch" | "origin">,
  keep: number,
): Promise<WriteOutcome> {
  const params = [
    request.key,
    request.value === null ? null : toBuffer(request.value),
    request.expectedRevision ?? null,
    request.origin,
    keep,
  ];
  // An expected revision above 0 names a change of one history (core's historyAccepts): the function runs
  // only for a metadata row that still holds that epoch — its argument reads a column of that row, so the
  // call is made once per matching row and never without one (a constant would let the planner call it
  // first) — in the same statement, so a lattice recreated meanwhile is never written by it.
  const gated = (request.expectedRevision ?? 0) > 0 && request.expectedEpoch !== undefined;
  const sql = gated
    ? `SELECT w.* FROM ${schema.meta} m CROSS JOIN LATERAL ` +
      `${schema.writeFunction}($1, $2, $3, $4, $5 + 0 * m.revision) w WHERE m.epoch = $6`
    : `SELECT * FROM ${schema.writeFunction}($1, $2, $3, $4, $5)`;
  const { rows } = await db.query<{
    written: boolean;
    assigned: string | null;
    current_revision: string | null;
    current_deleted: boolean | null;
  }>(sql, gated ? [...params, request.expectedEpoch] : params);
  const row = rows[0];
  if (row === undefined && gated) return { written: false, current: undefined, otherHistory: true };
  if (row?.written) return { written: true, revision: Number(row.assigned) };
  const current =
    row?.current_revision == null
      ? undefined
      : { revision: Number(row.current_revision), deleted: row.current_deleted === true };
  return { written: false, current };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
