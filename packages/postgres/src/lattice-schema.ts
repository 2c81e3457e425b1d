// Where a lattice lives in PostgreSQL: the schema `lattice_<prefix>` with three tables and one function, named
// and quoted for SQL (created by lattice-provisioning.ts).
//
//   meta     one row: the epoch (this history's id, new whenever the schema is created) and the revision
//   entries  key → the latest change of the key (value null: a tombstone), its revision, origin, write time
//   changes  the change log: revision → key, value, origin, write time (trimmed to about changeLogLength)
//   lattice_write(key, value, expected, origin, keep)  one write, atomically (write-function.ts)

/** The version of the layout below, kept in `meta.layout`. */
export const LATTICE_LAYOUT_VERSION = 1;

/** The lattice's tables, by their unqualified names. */
export const LATTICE_TABLES = ["meta", "entries", "changes"] as const;

/** The write function's argument types, as PostgreSQL names them (`to_regprocedure`, `GRANT EXECUTE`). */
export const WRITE_FUNCTION_ARGUMENTS = "text, bytea, bigint, text, bigint";

/** The names of one lattice's objects, quoted where SQL needs them. */
export interface LatticeSchema {
  /** The schema's name as PostgreSQL shows it: `lattice_<prefix>`. Also the NOTIFY channel. */
  readonly name: string;
  /** The schema, quoted for SQL. */
  readonly schema: string;
  /** The tables and the write function, schema-qualified and quoted. */
  readonly meta: string;
  readonly entries: string;
  readonly changes: string;
  readonly writeFunction: string;
  /** The NOTIFY channel, quoted for LISTEN. */
  readonly channel: string;
}

/** A quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The objects of the lattice with this prefix. */
export function latticeSchema(prefix: string): LatticeSchema {
  const name = `lattice_${prefix}`;
  const schema = quoteIdentifier(name);
  return {
    name,
    schema,
    meta: `${schema}.meta`,
    entries: `${schema}.entries`,
    changes: `${schema}.changes`,
    writeFunction: `${schema}.lattice_write`,
    channel: schema,
  };
}
