// Which lattices exist in a PostgreSQL database: one schema `lattice_<prefix>` with its metadata table each
// (lattice-schema.ts). Reads the catalog only; creates nothing.
import pg from "pg";
import { clientConfig } from "./connection-config.js";
import { endConnection } from "./connection-shutdown.js";
import { latticeSchema } from "./lattice-schema.js";
import { type PostgresBackendOptions, parsePostgresBackendOptions } from "./postgres-backend-options.js";
import { toLatticeError } from "./postgres-errors.js";

const SCHEMA_HEAD = latticeSchema("").name;

/**
 * The prefixes of every lattice in the database `options.url` names, sorted: the schemas named
 * `lattice_*` that hold a `meta` table. One connection, closed again. Throws `BackendUnavailableError`
 * when the server cannot be reached, `PermissionDeniedError` for refused credentials.
 */
export async function listPostgresLattices(options: PostgresBackendOptions): Promise<string[]> {
  const client = new pg.Client(clientConfig(parsePostgresBackendOptions(options)));
  client.on("error", () => {});
  try {
    await client.connect();
    const found = await client.query<{ name: string }>(
      "SELECT n.nspname AS name FROM pg_class c " +
        "JOIN pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE c.relname = 'meta' AND c.relkind = 'r' AND starts_with(n.nspname, $1) ORDER BY n.nspname",
      [SCHEMA_HEAD],
    );
    return found.rows
      .map((row) => row.name.slice(SCHEMA_HEAD.length))
      .filter((prefix) => prefix !== "")
      .sort();
  } catch (error) {
    throw toLatticeError(error, "list the lattices");
  } finally {
    await endConnection(client);
  }
}
