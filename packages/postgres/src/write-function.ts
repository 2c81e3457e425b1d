// The one write of a lattice, as a PL/pgSQL function in its schema: the conditional check, the revision,
// the change-log row, the entry, the trimming and the NOTIFY, in one statement and so one transaction.
// Rules cited here: docs/semantics.md#rule-1, #rule-3, #rule-4, #rule-6.
import type { LatticeSchema } from "./lattice-schema.js";

/** A SQL string literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * `CREATE OR REPLACE FUNCTION <schema>.lattice_write(key, value, expected, origin, keep)`:
 * - `value` null writes a tombstone (rule 6), which keeps its delete time in `written_at`;
 * - `expected` null is unconditional; otherwise the write happens only when core's `casAccepts`
 *   (packages/core/src/conflict-rules.ts) would accept it — 0 for a missing or deleted key, the key's
 *   revision, or a tombstone's own revision (rule 4) — and a refusal returns the key's state, writing nothing;
 * - `keep`: the change log is trimmed to the last `keep` revisions, in steps of a tenth of it (at most 1000);
 * - the commit is flushed before it is acknowledged (`synchronous_commit` on for this transaction, whatever
 *   the server's or the session's default: the durable capability).
 *
 * Returns `(written, assigned, current_revision, current_deleted)`. Revisions: writers take their turn on the
 * metadata row, whose lock is held until commit, so revision N is committed — and visible — before N + 1 is
 * assigned: a reader never finds N + 1 without N (rule 1; a sequence would not do it). The NOTIFY is sent
 * at commit, in commit order. PL/pgSQL runs each statement with a fresh snapshot, so the key is read after
 * the turn is taken, never before a concurrent writer's commit.
 */
export function writeFunctionSql(schema: LatticeSchema): string {
  return `CREATE OR REPLACE FUNCTION ${schema.writeFunction}(
  p_key text, p_value bytea, p_expected bigint, p_origin text, p_keep bigint,
  OUT written boolean, OUT assigned bigint, OUT current_revision bigint, OUT current_deleted boolean)
LANGUAGE plpgsql AS $lattice$
DECLARE
  v_last bigint;
  v_now bigint;
BEGIN
  PERFORM set_config('synchronous_commit', 'on', true);
  SELECT m.revision INTO v_last FROM ${schema.meta} m FOR UPDATE;
  IF v_last IS NULL THEN
    RAISE EXCEPTION 'lattice % has no metadata row', ${quoteLiteral(schema.name)} USING ERRCODE = 'undefined_table';
  END IF;
  SELECT e.revision, e.value IS NULL INTO current_revision, current_deleted
    FROM ${schema.entries} e WHERE e.key = p_key;
  IF p_expected IS NOT NULL
     AND p_expected <> (CASE WHEN current_revision IS NULL OR current_deleted THEN 0 ELSE current_revision END)
     AND NOT (coalesce(current_deleted, false) AND p_expected = current_revision) THEN
    written := false;
    RETURN;
  END IF;
  assigned := v_last + 1;
  v_now := floor(extract(epoch FROM clock_timestamp()) * 1000);
  UPDATE ${schema.meta} SET revision = assigned;
  INSERT INTO ${schema.changes} (revision, key, value, origin, written_at)
    VALUES (assigned, p_key, p_value, p_origin, v_now);
  INSERT INTO ${schema.entries} (key, revision, value, origin, written_at)
    VALUES (p_key, assigned, p_value, p_origin, v_now)
    ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, value = excluded.value,
      origin = excluded.origin, written_at = excluded.written_at;
  IF assigned % greatest(1, least(1000, p_keep / 10)) = 0 THEN
    DELETE FROM ${schema.changes} c WHERE c.revision <= assigned - p_keep;
  END IF;
  PERFORM pg_notify(${quoteLiteral(schema.name)}, assigned::text);
  written := true;
END
$lattice$`;
}
