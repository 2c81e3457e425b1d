// Direct access to what a lattice's schema holds, beside the backend (tests, fault injection, tools): the
// stored rows, the history lost (the schema dropped), a backup restored under the same epoch, a foreign
// writer's bytes. Never needed by a program that embeds the cache; exported by `@lattice-cache/postgres/testing`.
import type { DeliveredChange, LogHead } from "@lattice-cache/core/backend";
import pg from "pg";
import {
  CHANGE_COLUMNS,
  type ChangeRow,
  changeOf,
  readEntry,
  readLogHead,
  writeChange,
} from "./lattice-queries.js";
import { type LatticeSchema, latticeSchema } from "./lattice-schema.js";
import { POSTGRES_BACKEND_DEFAULTS } from "./postgres-backend-options.js";
import { isMissingLattice } from "./postgres-errors.js";

/** A lattice's stored rows at one moment. */
interface Backup {
  readonly meta: { readonly epoch: string; readonly revision: string } | undefined;
  readonly entries: readonly ChangeRow[];
  readonly changes: readonly ChangeRow[];
}

/** One lattice's schema, read and damaged through a connection of its own (see the file comment). */
export class RawPostgresLattice {
  /** The lattice's objects. */
  readonly schema: LatticeSchema;
  private readonly pool: pg.Pool;

  /**
   * @param url - a role that may read and write the lattice (and drop it, for `loseHistory`)
   * @param prefix - the lattice prefix
   */
  constructor(url: string, prefix: string) {
    this.schema = latticeSchema(prefix);
    this.pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
    this.pool.on("error", () => {});
  }

  /** The stored change of a key (a tombstone: `value` null); undefined when nothing is stored. */
  async readRaw(key: string): Promise<DeliveredChange | undefined> {
    return this.orNothing(() => readEntry(this.pool, this.schema, key), undefined);
  }

  /** Every stored entry, tombstones included, by key. */
  async readAll(): Promise<Map<string, DeliveredChange>> {
    const rows = await this.orNothing(
      async () =>
        (await this.pool.query<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM ${this.schema.entries}`)).rows,
      [],
    );
    return new Map(rows.map((row) => [row.key, changeOf(row)]));
  }

  /** Every change the log holds, in revision order. */
  async changes(): Promise<DeliveredChange[]> {
    const rows = await this.orNothing(
      async () =>
        (
          await this.pool.query<ChangeRow>(
            `SELECT ${CHANGE_COLUMNS} FROM ${this.schema.changes} ORDER BY revision`,
          )
        ).rows,
      [],
    );
    return rows.map(changeOf);
  }

  /** The head and the oldest logged revision; revision 0 and epoch "" when the lattice does not exist. */
  async head(): Promise<LogHead> {
    return this.orNothing(() => readLogHead(this.pool, this.schema), { revision: 0, epoch: "", oldest: 0 });
  }

  /** What a database restored without the lattice does to it: the schema and everything in it dropped. */
  async loseHistory(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema.schema} CASCADE`);
  }

  /**
   * Stores `value` as a foreign writer would (an old host, an operator's tool): through the lattice's own
   * write function, so revisions and the change log stay consistent, but with no origin and no condition.
   * Returns the revision.
   */
  async storeRaw(key: string, value: Uint8Array | null): Promise<number> {
    const outcome = await writeChange(
      this.pool,
      this.schema,
      { key, value, origin: "" },
      POSTGRES_BACKEND_DEFAULTS.changeLogLength,
    );
    if (!outcome.written) throw new Error(`an unconditional write of ${key} was refused`);
    return outcome.revision;
  }

  /**
   * A backup of the lattice's rows, read in one transaction. The returned function restores it over the
   * current rows in one transaction, under the backup's epoch and revision — the server goes back in time
   * without a new history, and without a notification (the conformance `checkpoint`).
   */
  async checkpoint(): Promise<() => Promise<void>> {
    const backup = await this.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", async (db) => {
      const meta = await db.query<{ epoch: string; revision: string }>(
        `SELECT epoch, revision FROM ${this.schema.meta}`,
      );
      const entries = await db.query<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM ${this.schema.entries}`);
      const changes = await db.query<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM ${this.schema.changes}`);
      return { meta: meta.rows[0], entries: entries.rows, changes: changes.rows };
    });
    return () => this.transaction("BEGIN", (db) => this.restore(db, backup));
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.pool.end();
  }

  private async restore(db: pg.PoolClient, backup: Backup): Promise<void> {
    const s = this.schema;
    // The metadata row first: writers take their turn on it, so none is halfway through while rows go back.
    await db.query(`SELECT 1 FROM ${s.meta} FOR UPDATE`);
    await db.query(`TRUNCATE ${s.entries}, ${s.changes}`);
    for (const [table, rows] of [
      [s.entries, backup.entries],
      [s.changes, backup.changes],
    ] as const) {
      await db.query(
        `INSERT INTO ${table} (${CHANGE_COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[], $5::bigint[])`,
        [
          rows.map((row) => row.revision),
          rows.map((row) => row.key),
          rows.map((row) => row.value),
          rows.map((row) => row.origin),
          rows.map((row) => row.written_at),
        ],
      );
    }
    if (backup.meta !== undefined) {
      await db.query(`UPDATE ${s.meta} SET epoch = $1, revision = $2`, [
        backup.meta.epoch,
        backup.meta.revision,
      ]);
    }
  }

  private async transaction<T>(begin: string, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const db = await this.pool.connect();
    try {
      await db.query(begin);
      const result = await work(db);
      await db.query("COMMIT");
      return result;
    } catch (error) {
      await db.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      db.release();
    }
  }

  /** `read()`, or `nothing` when the lattice does not exist. */
  private async orNothing<T>(read: () => Promise<T>, nothing: T): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (isMissingLattice(error)) return nothing;
      throw error;
    }
  }
}
