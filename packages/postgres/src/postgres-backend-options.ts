// The options of the PostgreSQL backend, their defaults, and their validation: a bad option is a
// ConfigurationError naming the field (`postgres.url`, as the host's configuration calls it), thrown by the
// constructor, before anything connects.
import type { ConnectionOptions } from "node:tls";
import { ConfigurationError, type Logger, redactUrl } from "@lattice-cache/core/backend";

/** The URL schemes of a PostgreSQL server address (the host's `postgres.url` setting accepts the same). */
export const POSTGRES_URL_SCHEMES = ["postgres:", "postgresql:"] as const;

/** Options of `PostgresBackend`. */
export interface PostgresBackendOptions {
  /**
   * The server and database: `postgres://user:password@host:port/database`, with libpq's query parameters
   * where node-postgres knows them (`sslmode`, `sslrootcert`, `application_name`, …). Required. Credentials in
   * it are never logged.
   */
  readonly url?: string;
  /**
   * The lattice prefix (wasmCloud's): the lattice lives in the schema `lattice_<prefix>` (its entries, its
   * change log, its metadata row), apart from every other lattice. Letters, digits, `_` and `-`, at most 55.
   * Default `default`.
   */
  readonly prefix?: string;
  /** The role to log in as (overrides the URL's). Default: the URL's, else node-postgres's (`PGUSER`, …). */
  readonly user?: string;
  /** The password (overrides the URL's). Never logged nor reported by `describe()`. Default: the URL's. */
  readonly password?: string;
  /**
   * TLS: `true` for TLS with the system's CAs, or node's `tls.connect` options — `{ ca }` (PEM) to trust a
   * private CA, `rejectUnauthorized: false` to skip verification (not recommended). `sslmode`/`sslrootcert`
   * in the URL do the same. Default: as the URL says, else no TLS.
   */
  readonly ssl?: boolean | ConnectionOptions;
  /**
   * `create`: `open()` creates the lattice's schema when it is missing. `bind`: the lattice must exist;
   * `open()` fails with `LatticeNotFoundError` and creates nothing when it does not. Default `create`.
   */
  readonly provision?: "create" | "bind";
  /** Changes kept in the change log (about: trimmed in steps); a replica further behind resyncs from a snapshot. Default 100 000. */
  readonly changeLogLength?: number;
  /**
   * Declare that an acknowledged write survives a crash of the server. Every write commits with
   * `synchronous_commit = on`, so this holds unless the server runs with `fsync = off`. Only sets the
   * `durable` capability; nothing is checked. Default true.
   */
  readonly durable?: boolean;
  /** How long `open()` keeps trying to reach the server before failing with `BackendUnavailableError`. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * How long the server lets one statement run before cancelling it (`statement_timeout`): a write waiting
   * that long for its turn fails with `BackendUnavailableError` and writes nothing. Default 5 000 ms.
   */
  readonly statementTimeoutMs?: number;
  /**
   * How long the client waits for any answer to a query (node-postgres `query_timeout`; also each connection
   * attempt): on a silent partition writes and `head()` fail with `BackendUnavailableError` after this long,
   * and a feed reconnects. Longer than `statementTimeoutMs`, so a slow server cancels first. Default 6 000 ms.
   */
  readonly queryTimeoutMs?: number;
  /** TCP keepalive: idle time before the first probe on every connection (ms, rounded down to seconds). Default 10 000 ms. */
  readonly keepAliveDelayMs?: number;
  /** Connections the backend's pool (writes, head, reads, compaction) opens at most. Feeds have their own. Default 10. */
  readonly poolSize?: number;
  /** How long a pooled connection may stay idle before it is closed. Default 30 000 ms. */
  readonly poolIdleTimeoutMs?: number;
  /**
   * How long a live feed waits for a notification (LISTEN/NOTIFY) before it reads the change log anyway: the
   * fallback poll, which also proves the connection (core's `followLog` `waitMs`). Default 5 000 ms.
   */
  readonly feedWaitMs?: number;
  /** Changes a feed reads per query. Default 1 000. */
  readonly feedBatchSize?: number;
  /** Longest pause between a feed's reconnection attempts (exponential backoff with jitter, forever). Default 2 000 ms. */
  readonly maxReconnectDelayMs?: number;
  /**
   * How long `close()` waits for writes already started to finish before it ends the pool, so each resolves
   * with its revision or fails with the server's answer; a write still unanswered then fails saying its
   * outcome is unknown. `0` waits for none. Default 5 000 ms.
   */
  readonly closeGraceMs?: number;
  /** `application_name` the server shows for the backend's connections. Default `lattice-cache`. */
  readonly applicationName?: string;
  /** Structured logger (pino works). Default: silent. */
  readonly logger?: Logger;
}

/** Every option with its default applied. */
export interface ResolvedPostgresBackendOptions {
  readonly url: string;
  readonly prefix: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly ssl: boolean | ConnectionOptions | undefined;
  readonly provision: "create" | "bind";
  readonly changeLogLength: number;
  readonly durable: boolean;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly keepAliveDelayMs: number;
  readonly poolSize: number;
  readonly poolIdleTimeoutMs: number;
  readonly feedWaitMs: number;
  readonly feedBatchSize: number;
  readonly maxReconnectDelayMs: number;
  readonly closeGraceMs: number;
  readonly applicationName: string;
}

/** The defaults of the options that have one. */
export const POSTGRES_BACKEND_DEFAULTS = {
  prefix: "default",
  changeLogLength: 100_000,
  durable: true,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 5_000,
  queryTimeoutMs: 6_000,
  keepAliveDelayMs: 10_000,
  poolSize: 10,
  poolIdleTimeoutMs: 30_000,
  feedWaitMs: 5_000,
  feedBatchSize: 1_000,
  maxReconnectDelayMs: 2_000,
  closeGraceMs: 5_000,
  applicationName: "lattice-cache",
} as const;

/** What a prefix may hold (the host's own rule for `prefix`). */
const PREFIX = /^[A-Za-z0-9_-]+$/;

/** The longest prefix: the schema name `lattice_<prefix>` must fit PostgreSQL's 63-byte identifiers. */
export const MAX_PREFIX_LENGTH = 55;

type NumericOption =
  | "changeLogLength"
  | "connectTimeoutMs"
  | "statementTimeoutMs"
  | "queryTimeoutMs"
  | "keepAliveDelayMs"
  | "poolSize"
  | "poolIdleTimeoutMs"
  | "feedWaitMs"
  | "feedBatchSize"
  | "maxReconnectDelayMs";

/** Applies the defaults and validates; throws `ConfigurationError` naming the field. */
export function resolvePostgresBackendOptions(
  options: PostgresBackendOptions,
): ResolvedPostgresBackendOptions {
  const d = POSTGRES_BACKEND_DEFAULTS;
  const prefix = options.prefix ?? d.prefix;
  if (!PREFIX.test(prefix) || prefix.length > MAX_PREFIX_LENGTH) {
    throw new ConfigurationError(
      `postgres.prefix may only contain letters, digits, _ and -, at most ${MAX_PREFIX_LENGTH} of them (got ${JSON.stringify(prefix)})`,
      { field: "postgres.prefix" },
    );
  }
  const number = (name: NumericOption) => positiveInteger(name, options[name] ?? d[name]);
  const statementTimeoutMs = number("statementTimeoutMs");
  const queryTimeoutMs =
    options.queryTimeoutMs === undefined && options.statementTimeoutMs !== undefined
      ? statementTimeoutMs + 1_000
      : number("queryTimeoutMs");
  if (queryTimeoutMs <= statementTimeoutMs) {
    throw new ConfigurationError(
      `postgres.queryTimeoutMs (${queryTimeoutMs}) must be longer than postgres.statementTimeoutMs (${statementTimeoutMs}): the server cancels a slow statement, the client's timeout is for a server that does not answer at all`,
      { field: "postgres.queryTimeoutMs" },
    );
  }
  return {
    url: checkUrl(options.url),
    prefix,
    user: optionalText("user", options.user),
    password: options.password,
    ssl: options.ssl,
    provision: provisionMode(options.provision),
    changeLogLength: number("changeLogLength"),
    durable: options.durable ?? d.durable,
    connectTimeoutMs: number("connectTimeoutMs"),
    statementTimeoutMs,
    queryTimeoutMs,
    keepAliveDelayMs: number("keepAliveDelayMs"),
    poolSize: number("poolSize"),
    poolIdleTimeoutMs: number("poolIdleTimeoutMs"),
    feedWaitMs: number("feedWaitMs"),
    feedBatchSize: number("feedBatchSize"),
    maxReconnectDelayMs: number("maxReconnectDelayMs"),
    closeGraceMs: nonNegativeInteger("closeGraceMs", options.closeGraceMs ?? d.closeGraceMs),
    applicationName: optionalText("applicationName", options.applicationName) ?? d.applicationName,
  };
}

function provisionMode(mode: PostgresBackendOptions["provision"]): "create" | "bind" {
  if (mode === undefined || mode === "create" || mode === "bind") return mode ?? "create";
  throw new ConfigurationError(
    `postgres.provision must be "create" or "bind" (got ${JSON.stringify(mode)})`,
    { field: "postgres.provision", allowed: ["create", "bind"] },
  );
}

function checkUrl(url: string | undefined): string {
  const field = "postgres.url";
  if (url === undefined || url.trim() === "") {
    throw new ConfigurationError(
      `${field} is required: the PostgreSQL server and database (postgres://user@host:port/database)`,
      { field },
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`${field} is not a URL: ${redactUrl(url)}`, { field });
  }
  const schemes: readonly string[] = POSTGRES_URL_SCHEMES;
  if (!schemes.includes(parsed.protocol)) {
    const allowed = schemes.map((scheme) => `${scheme}//`);
    throw new ConfigurationError(
      `${field} must start with ${allowed.join(" or ")} (got ${parsed.protocol}//)`,
      {
        field,
        allowed,
      },
    );
  }
  if (parsed.hostname === "") {
    throw new ConfigurationError(`${field} has no host: ${redactUrl(url)}`, { field });
  }
  return url;
}

function optionalText(name: keyof PostgresBackendOptions, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new ConfigurationError(`postgres.${name} must be a non-empty string`, {
      field: `postgres.${name}`,
    });
  }
  return value;
}

function nonNegativeInteger(name: "closeGraceMs", value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigurationError(`postgres.${name} must be a non-negative integer (got ${String(value)})`, {
      field: `postgres.${name}`,
    });
  }
  return value;
}

function positiveInteger(name: NumericOption, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`postgres.${name} must be a positive integer (got ${String(value)})`, {
      field: `postgres.${name}`,
    });
  }
  return value;
}
