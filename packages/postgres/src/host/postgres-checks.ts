// `lattice doctor` for the postgres backend: one connection with the backend's settings, read-only queries of
// the catalogs (what exists, and what this role may do with it — answered even where the role may not look
// inside), and a check per concern: reachable, server version, durable commits, the lattice's schema,
// privileges. Each problem carries the fix, down to the GRANT statements.

import { DEFAULT_PREFIX, type DoctorCheck } from "@lattice-cache/plugin";
import type pg from "pg";
import { endConnection } from "../connection-shutdown.js";
import {
  LATTICE_TABLES,
  type LatticeSchema,
  latticeSchema,
  WRITE_FUNCTION_ARGUMENTS,
} from "../lattice-schema.js";
import type { PostgresBackendOptions } from "../postgres-backend-options.js";
import { postgresErrorText, sqlState } from "../postgres-errors.js";
import { connectPostgresClient, hostPostgresClientConfig } from "./postgres-client.js";

/** The oldest server the backend works with: its connections set `idle_in_transaction_session_timeout` (9.6). */
const REQUIRED_VERSION_NUM = 90_600;
/** Older servers work but are past their end of life and untested: a warning. */
const ADVISED_VERSION_NUM = 120_000;
/** What the role needs on each table: reads, writes through the write function, trimming and compaction. */
const TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

/** Why a connection could not be made. */
export type ConnectFailure =
  | "credentials"
  | "database"
  | "refused"
  | "timeout"
  | "dns"
  | "tls"
  | "other"
  /** Connected, but reading the catalogs failed. */
  | "query";

/** What the doctor found out, before any verdict (exposed for tests). */
export interface PostgresInspection {
  /** `host:port/database` as configured (no credentials). */
  readonly server: string;
  readonly failure?: { readonly kind: ConnectFailure; readonly message: string };
  readonly session?: {
    readonly role: string;
    readonly database: string;
    readonly version: string;
    readonly versionNum: number;
    readonly ssl: boolean;
    readonly fsync: string;
    readonly createOnDatabase: boolean;
  };
  readonly lattice?: LatticeFacts;
}

/** The lattice's schema as the catalogs show it to this role. */
export interface LatticeFacts {
  readonly name: string;
  readonly exists: boolean;
  readonly owner?: string;
  readonly usage?: boolean;
  readonly createInSchema?: boolean;
  /** Each table that exists, with the privileges this role lacks on it. */
  readonly tables: Readonly<Record<string, readonly string[]>>;
  /** Whether the write function exists, and whether this role may execute it. */
  readonly writeFunction?: { readonly execute: boolean };
  /** The metadata row, when the role may read it; null when the table is empty. */
  readonly meta?: {
    readonly epoch: string;
    readonly revision: string;
    readonly oldest: string | null;
  } | null;
}

/** Runs the inspection with the backend's options and reports one check per concern. */
export async function diagnosePostgres(options: PostgresBackendOptions): Promise<DoctorCheck[]> {
  return postgresChecks(await inspectPostgres(options));
}

/** Connects once and reads what the checks need; never throws for what it finds (a failure is a fact). */
export async function inspectPostgres(options: PostgresBackendOptions): Promise<PostgresInspection> {
  const config = hostPostgresClientConfig(options, "lattice-cache-doctor");
  const server = `${config.host ?? "localhost"}:${config.port ?? 5432}/${config.database ?? config.user ?? ""}`;
  let client: pg.Client;
  try {
    client = await connectPostgresClient(config, () => {});
  } catch (error) {
    return { server, failure: { kind: connectFailure(error), message: postgresErrorText(error) } };
  }
  try {
    const session = await readSession(client);
    const lattice = await readLattice(client, latticeSchema(options.prefix ?? DEFAULT_PREFIX));
    return { server, session, lattice };
  } catch (error) {
    return { server, failure: { kind: "query", message: postgresErrorText(error) } };
  } finally {
    await endConnection(client);
  }
}

function connectFailure(error: unknown): ConnectFailure {
  const state = sqlState(error);
  if (state === "28P01" || state === "28000") return "credentials";
  if (state === "3D000") return "database";
  const code = (error as { code?: unknown } | null)?.code;
  const text = postgresErrorText(error);
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "dns";
  if (/timeout expired|connection timeout|Query read timeout|ETIMEDOUT/i.test(`${text} ${String(code)}`)) {
    return "timeout";
  }
  if (/SSL|TLS|CERT|certificate/i.test(`${text} ${String(code)}`)) return "tls";
  return "other";
}

async function readSession(client: pg.Client): Promise<NonNullable<PostgresInspection["session"]>> {
  const { rows } = await client.query<{
    role: string;
    database: string;
    version: string;
    version_num: string;
    ssl: boolean;
    fsync: string;
    create_on_database: boolean;
  }>(
    `SELECT current_user AS role, current_database() AS database,
       current_setting('server_version') AS version, current_setting('server_version_num') AS version_num,
       coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl,
       current_setting('fsync') AS fsync,
       has_database_privilege(current_database(), 'CREATE') AS create_on_database`,
  );
  const row = rows[0] as (typeof rows)[number];
  return {
    role: row.role,
    database: row.database,
    version: row.version,
    versionNum: Number(row.version_num),
    ssl: row.ssl,
    fsync: row.fsync,
    createOnDatabase: row.create_on_database,
  };
}

async function readLattice(client: pg.Client, schema: LatticeSchema): Promise<LatticeFacts> {
  const found = await client.query<{ owner: string; usage: boolean; create: boolean }>(
    `SELECT pg_get_userbyid(n.nspowner) AS owner, has_schema_privilege(n.oid, 'USAGE') AS usage,
       has_schema_privilege(n.oid, 'CREATE') AS create
     FROM pg_namespace n WHERE n.nspname = $1`,
    [schema.name],
  );
  const namespace = found.rows[0];
  if (namespace === undefined) return { name: schema.name, exists: false, tables: {} };
  const privileges = TABLE_PRIVILEGES.map((p) => `has_table_privilege(c.oid, '${p}') AS "${p}"`).join(", ");
  const tables = await client.query<Record<string, string | boolean>>(
    `SELECT c.relname AS name, ${privileges} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'p')`,
    [schema.name, LATTICE_TABLES],
  );
  const writeFunction = await client.query<{ execute: boolean }>(
    `SELECT has_function_privilege(p.oid, 'EXECUTE') AS execute FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1 AND p.proname = 'lattice_write' AND oidvectortypes(p.proargtypes) = $2`,
    [schema.name, WRITE_FUNCTION_ARGUMENTS],
  );
  const missing = Object.fromEntries(
    tables.rows.map((row) => [row.name as string, TABLE_PRIVILEGES.filter((p) => row[p] !== true)]),
  );
  const facts: LatticeFacts = {
    name: schema.name,
    exists: true,
    owner: namespace.owner,
    usage: namespace.usage,
    createInSchema: namespace.create,
    tables: missing,
    ...(writeFunction.rows[0] ? { writeFunction: { execute: writeFunction.rows[0].execute } } : {}),
  };
  if (
    !namespace.usage ||
    !missing.meta ||
    missing.meta.includes("SELECT") ||
    missing.changes?.includes("SELECT")
  ) {
    return facts;
  }
  const meta = await client.query<{ epoch: string; revision: string; oldest: string | null }>(
    `SELECT epoch, revision::text AS revision, (SELECT min(revision)::text FROM ${schema.changes}) AS oldest FROM ${schema.meta}`,
  );
  return { ...facts, meta: meta.rows[0] ?? null };
}

/** The checks for one inspection (exposed for tests). */
export function postgresChecks(inspection: PostgresInspection): DoctorCheck[] {
  const { session, lattice, failure } = inspection;
  if (session === undefined || lattice === undefined) {
    return [unreachable(inspection.server, failure ?? { kind: "other", message: "no answer" })];
  }
  const tls = session.ssl ? "TLS" : "no TLS";
  return [
    {
      name: "PostgreSQL reachable",
      outcome: "pass",
      detail: `connected to ${inspection.server} as role ${session.role} (${tls})`,
    },
    versionCheck(session.version, session.versionNum),
    session.fsync === "off"
      ? {
          name: "durable commits",
          outcome: "warn",
          detail: "the server runs with fsync = off: a crash of the server can lose acknowledged writes",
          fix: "set fsync = on in postgresql.conf (the backend commits with synchronous_commit = on and declares its writes durable)",
        }
      : {
          name: "durable commits",
          outcome: "pass",
          detail: "fsync on; the backend's writes commit with synchronous_commit = on",
        },
    schemaCheck(lattice, session),
    privilegesCheck(lattice, session),
  ];
}

function unreachable(server: string, failure: { kind: ConnectFailure; message: string }): DoctorCheck {
  const where = "postgres.url (--postgres-url, LATTICE_POSTGRES_URL)";
  const fixes: Record<ConnectFailure, string> = {
    credentials:
      "check the role and password (the URL's, or postgres.password / LATTICE_POSTGRES_PASSWORD), and that " +
      "pg_hba.conf lets this role connect to this database from this machine",
    database: `create the database (\`createdb -O <role> <database>\` as a superuser), or name an existing one in ${where}`,
    refused: `start PostgreSQL there, or point ${where} at the host and port it listens on`,
    timeout:
      "check that the server runs and answers (a firewall may drop the packets); for a slow link raise connectTimeoutMs",
    dns: `check the host name in ${where}`,
    tls:
      "give the CA that signed the server's certificate in postgres.caFile (or sslrootcert= in the URL), or drop " +
      "sslmode=require from the URL when the server has no TLS",
    other: `check ${where} and the server's log`,
    query: "check the server's log; the role must be able to read the system catalogs",
  };
  const what: Record<ConnectFailure, string> = {
    credentials: "the server refused the credentials",
    database: "the database does not exist",
    refused: "nothing accepts connections there",
    timeout: "no answer in time",
    dns: "the host name does not resolve",
    tls: "TLS failed",
    other: "cannot connect",
    query: "connected, but reading the catalogs failed",
  };
  return {
    name: "PostgreSQL reachable",
    outcome: "fail",
    detail: `${server}: ${what[failure.kind]} (${failure.message})`,
    fix: fixes[failure.kind],
  };
}

function versionCheck(version: string, versionNum: number): DoctorCheck {
  const name = "server version";
  if (versionNum < REQUIRED_VERSION_NUM) {
    return {
      name,
      outcome: "fail",
      detail: `PostgreSQL ${version}: the backend needs 9.6 or newer`,
      fix: "upgrade PostgreSQL (12 or newer advised)",
    };
  }
  if (versionNum < ADVISED_VERSION_NUM) {
    return {
      name,
      outcome: "warn",
      detail: `PostgreSQL ${version} is past its end of life and not tested with lattice-cache; it should work`,
      fix: "upgrade PostgreSQL to 12 or newer",
    };
  }
  return { name, outcome: "pass", detail: `PostgreSQL ${version}` };
}

/** `"name"`: an identifier quoted for the SQL of a fix. */
function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function schemaCheck(
  lattice: LatticeFacts,
  session: NonNullable<PostgresInspection["session"]>,
): DoctorCheck {
  const name = "lattice schema";
  if (!lattice.exists) {
    return session.createOnDatabase
      ? {
          name,
          outcome: "pass",
          detail: `${lattice.name} does not exist yet: the first host that opens the lattice creates it`,
        }
      : {
          name,
          outcome: "fail",
          detail: `${lattice.name} does not exist, and role ${session.role} may not create it`,
          fix:
            `let a role with CREATE on database ${session.database} start a host once (it creates the schema), ` +
            `then grant this role its privileges (\`lattice doctor\` names the GRANTs once it exists); or \`GRANT CREATE ON DATABASE ${q(session.database)} TO ${q(session.role)};\``,
        };
  }
  const missing = [
    ...LATTICE_TABLES.filter((t) => lattice.tables[t] === undefined).map((t) => `table ${t}`),
    ...(lattice.writeFunction ? [] : [`function lattice_write(${WRITE_FUNCTION_ARGUMENTS})`]),
  ];
  if (missing.length > 0 || lattice.meta === null) {
    const lacks = missing.length > 0 ? `lacks ${missing.join(", ")}` : "has no metadata row";
    const repairable = session.createOnDatabase && (lattice.owner === session.role || lattice.createInSchema);
    return {
      name,
      outcome: repairable ? "warn" : "fail",
      detail:
        `${lattice.name} ${lacks}` +
        (repairable ? ": the first host that opens it completes it (a new history: replicas resync)" : ""),
      fix:
        `as its owner (${lattice.owner}), \`DROP SCHEMA ${q(lattice.name)} CASCADE\` and let a host with CREATE on ` +
        `database ${session.database} create it again (a new history: replicas resync)`,
    };
  }
  if (lattice.meta === undefined) {
    return {
      name,
      outcome: "pass",
      detail: `${lattice.name} (owner ${lattice.owner}): tables and write function present; this role may not read the metadata row`,
    };
  }
  const { epoch, revision, oldest } = lattice.meta;
  return {
    name,
    outcome: "pass",
    detail:
      `${lattice.name} (owner ${lattice.owner}): revision ${revision}, epoch ${epoch}, ` +
      (oldest === null ? "change log empty" : `change log from revision ${oldest}`),
  };
}

function privilegesCheck(
  lattice: LatticeFacts,
  session: NonNullable<PostgresInspection["session"]>,
): DoctorCheck {
  const name = "privileges";
  const role = session.role;
  if (!lattice.exists) {
    return session.createOnDatabase
      ? {
          name,
          outcome: "pass",
          detail: `role ${role} has CREATE on database ${session.database} (to create the lattice)`,
        }
      : {
          name,
          outcome: "fail",
          detail: `role ${role} lacks CREATE on database ${session.database}, which creating the lattice takes`,
          fix: `as the database's owner or a superuser: \`GRANT CREATE ON DATABASE ${q(session.database)} TO ${q(role)};\``,
        };
  }
  const lacking = [
    ...(lattice.usage ? [] : [`USAGE on schema ${lattice.name}`]),
    ...LATTICE_TABLES.flatMap((table) => {
      const privileges = lattice.tables[table] ?? [];
      return privileges.length > 0 ? [`${privileges.join(", ")} on ${table}`] : [];
    }),
    ...(lattice.writeFunction && !lattice.writeFunction.execute ? ["EXECUTE on lattice_write"] : []),
  ];
  if (lacking.length === 0) {
    return {
      name,
      outcome: "pass",
      detail: `role ${role} may use ${lattice.name}, read and write its tables and execute lattice_write`,
    };
  }
  const schema = q(lattice.name);
  return {
    name,
    outcome: "fail",
    detail: `role ${role} lacks ${lacking.join("; ")}`,
    fix:
      `as ${lattice.owner} (the schema's owner) or a superuser: GRANT USAGE ON SCHEMA ${schema} TO ${q(role)}; ` +
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${q(role)}; ` +
      `GRANT EXECUTE ON FUNCTION ${schema}.lattice_write(${WRITE_FUNCTION_ARGUMENTS}) TO ${q(role)};`,
  };
}
