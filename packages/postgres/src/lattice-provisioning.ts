// How a lattice's schema (lattice-schema.ts) is created: idempotently, and safely when several hosts start at
// once — an advisory lock serializes the creators, and a host whose role may not create finds the schema an
// operator made. A new metadata row is a new history.
// Rules cited here: docs/semantics.md#rule-9.
import { randomUUID } from "node:crypto";
import type { ClientBase } from "pg";
import { LATTICE_LAYOUT_VERSION, type LatticeSchema, WRITE_FUNCTION_ARGUMENTS } from "./lattice-schema.js";
import { writeFunctionSql } from "./write-function.js";

/** Key of the advisory lock creators take: a constant class ('latt') and the schema name's hash. */
const ADVISORY_LOCK_CLASS = 0x6c617474;

/** True when the lattice's tables, its metadata row and its write function all exist. */
export async function latticeExists(client: ClientBase, schema: LatticeSchema): Promise<boolean> {
  const found = await client.query<{ tables: boolean; write: boolean }>(
    "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS tables, " +
      "to_regprocedure($4) IS NOT NULL AS write",
    [schema.meta, schema.entries, schema.changes, `${schema.writeFunction}(${WRITE_FUNCTION_ARGUMENTS})`],
  );
  const row = found.rows[0];
  if (!row?.tables || !row.write) return false;
  const meta = await client.query(`SELECT 1 FROM ${schema.meta}`);
  return meta.rowCount === 1;
}

/**
 * Creates whatever of the lattice is missing, in one transaction under an advisory lock, so concurrent
 * creators wait for each other and the second finds everything there. A new metadata row starts a new
 * history: a new epoch, revision 0 (rule 9: replicas of the old one resync). Returns true when this call
 * created the metadata row (a new history began). `client` must be a connection of its own (not shared
 * with other queries while this runs).
 */
export async function provisionLattice(client: ClientBase, schema: LatticeSchema): Promise<boolean> {
  if (await latticeExists(client, schema)) return false;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [ADVISORY_LOCK_CLASS, schema.name]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema.schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema.meta} (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      epoch text NOT NULL,
      revision bigint NOT NULL CHECK (revision >= 0),
      layout integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema.entries} (
      key text PRIMARY KEY,
      revision bigint NOT NULL,
      value bytea,
      origin text NOT NULL DEFAULT '',
      written_at bigint NOT NULL
    )`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema.changes} (
      revision bigint PRIMARY KEY,
      key text NOT NULL,
      value bytea,
      origin text NOT NULL DEFAULT '',
      written_at bigint NOT NULL
    )`);
    await client.query(writeFunctionSql(schema));
    // A metadata row lost while the tables kept their rows (deleted by hand) must not make revisions reuse.
    const created = await client.query(
      `INSERT INTO ${schema.meta} (epoch, revision, layout) SELECT $1, GREATEST(0, ` +
        `(SELECT max(revision) FROM ${schema.changes}), (SELECT max(revision) FROM ${schema.entries})), $2 ` +
        "ON CONFLICT DO NOTHING",
      [randomUUID(), LATTICE_LAYOUT_VERSION],
    );
    await client.query("COMMIT");
    return created.rowCount === 1;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
