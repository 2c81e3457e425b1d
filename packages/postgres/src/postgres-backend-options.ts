// The options of the PostgreSQL backend as one schema, written with the settings builder of
// @lattice-cache/plugin: every option with its default and its validation. `POSTGRES_SETTINGS` are also the
// host's `postgres` section (the same schemas, with their environment variables and flags: host/); the prefix,
// provisioning and connect timeout are the host's own settings, which its plugin passes on; a logger and
// node's TLS options only a program can give. A bad option is a ConfigurationError worded as `lattice` words
// it (`postgres.url …`), thrown by the constructor before anything connects.
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "@lattice-cache/core/backend";
import {
  choice,
  integer,
  mapping,
  parseOptions,
  prefixSetting,
  setting,
  text,
  toggle,
  url,
} from "@lattice-cache/plugin";
import { z } from "zod";

/** The URL schemes of a PostgreSQL server address. */
export const POSTGRES_URL_SCHEMES = ["postgres:", "postgresql:"] as const;

/** The longest prefix: the schema name `lattice_<prefix>` must fit PostgreSQL's 63-byte identifiers. */
export const MAX_PREFIX_LENGTH = 55;

/** The longest time option in ms: node's timers fire at once beyond it (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** What the client waits beyond `statementTimeoutMs` when only that is set. */
const QUERY_OVER_STATEMENT_MS = 1_000;

/** A time option in ms from `min`, with its default. */
const ms = (min: number, fallback: number) => integer(min, MAX_TIMER_MS).default(fallback);

/**
 * The options a configuration sets — the host's `postgres` section is made of these very schemas (with
 * `statusChannel`, which only the host reads).
 */
export const POSTGRES_SETTINGS = {
  url: setting(url(POSTGRES_URL_SCHEMES).optional(), {
    description:
      "PostgreSQL server and database (`postgres://user@host:port/database`, libpq parameters such as `sslmode`; required with `backend: postgres`)",
    env: "LATTICE_POSTGRES_URL",
    flag: "--postgres-url <url>",
    secret: "url-credentials",
  }),
  user: setting(text().optional(), {
    description: "role to log in as (overrides the URL's)",
    defaultText: "the URL's",
  }),
  password: setting(text().optional(), {
    description: "password (overrides the URL's)",
    env: "LATTICE_POSTGRES_PASSWORD",
    secret: true,
  }),
  caFile: setting(text().optional(), {
    description: "CA certificate (PEM) to verify the server: turns TLS on",
    env: "LATTICE_POSTGRES_CA_FILE",
  }),
  changeLogLength: setting(integer(1, 1_000_000_000).default(100_000), {
    description: "changes kept in the change log (about); a replica further behind resyncs from a snapshot",
  }),
  durable: setting(toggle().default(true), {
    description:
      "declare acknowledged writes durable (they commit with synchronous_commit = on; false for a server with fsync = off)",
  }),
  statementTimeoutMs: setting(ms(1, 5_000), {
    description:
      "the server's statement_timeout: a write waiting longer for its turn fails and writes nothing",
  }),
  queryTimeoutMs: setting(integer(1, MAX_TIMER_MS).optional(), {
    description:
      "how long the client waits for any answer (and each connection attempt); longer than statementTimeoutMs",
    defaultText: "statementTimeoutMs + 1000 (6000)",
  }),
  keepAliveDelayMs: setting(ms(1, 10_000), {
    description: "TCP keepalive: idle time before the first probe (rounded down to seconds)",
  }),
  poolSize: setting(integer(1, 10_000).default(10), {
    description:
      "connections of the backend's pool (writes, head, reads, compaction); each feed has one more",
  }),
  poolIdleTimeoutMs: setting(ms(1, 30_000), {
    description: "how long a pooled connection may stay idle before it is closed",
  }),
  feedWaitMs: setting(ms(1, 5_000), {
    description: "a feed's fallback poll when no notification comes (LISTEN/NOTIFY)",
  }),
  feedBatchSize: setting(integer(1, 1_000_000).default(1_000), {
    description: "changes a feed reads per query",
  }),
  maxReconnectDelayMs: setting(ms(1, 2_000), {
    description: "longest pause between a feed's reconnection attempts",
  }),
  closeGraceMs: setting(ms(0, 5_000), {
    description: "how long closing waits for writes already started (0: none)",
  }),
  applicationName: setting(text().default("lattice-cache"), {
    description: "application_name of the backend's connections (the URL's wins)",
  }),
};

/**
 * The lattice prefix with PostgreSQL's own limit on top of the shared rule: the lattice's schema is named
 * `lattice_<prefix>`, and PostgreSQL identifiers are at most 63 bytes.
 */
export const POSTGRES_PREFIX = prefixSetting().refine((prefix) => prefix.length <= MAX_PREFIX_LENGTH, {
  error: (issue) =>
    `may be at most ${MAX_PREFIX_LENGTH} characters on PostgreSQL: the lattice's schema lattice_<prefix> ` +
    `must fit PostgreSQL's 63-byte identifiers (got ${String(issue.input).length})`,
});

/** Every option: the settings, the host's settings its plugin passes on, and what only a program gives. */
const OPTIONS = mapping({
  ...POSTGRES_SETTINGS,
  prefix: POSTGRES_PREFIX,
  provision: setting(choice(["create", "bind"]).default("create"), {
    description:
      "create the lattice's schema when it is missing, or bind: it must exist (nothing is created)",
  }),
  connectTimeoutMs: setting(ms(1, 10_000), {
    description: "how long open() keeps trying to reach the server",
  }),
  ssl: z
    .custom<boolean | ConnectionOptions>((value) => typeof value === "boolean" || isObject(value), {
      error: "must be true, false or node's tls.connect options",
    })
    .optional(),
  logger: z
    .custom<Logger>((value) => isObject(value) && typeof (value as Logger).info === "function", {
      error: "must be a pino-compatible logger",
    })
    .optional(),
});

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/** The options with the query timeout's default (`statementTimeoutMs` + 1 s) applied. */
function withQueryTimeout<O extends { statementTimeoutMs: number; queryTimeoutMs?: number | undefined }>(
  options: O,
): O & { queryTimeoutMs: number } {
  return {
    ...options,
    queryTimeoutMs: options.queryTimeoutMs ?? options.statementTimeoutMs + QUERY_OVER_STATEMENT_MS,
  };
}

/** The options' schema: what `PostgresBackend` parses its options with (the rules between options included). */
export const POSTGRES_BACKEND_OPTIONS = OPTIONS.superRefine((o, ctx) => {
  if (o.url === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: "is required: the PostgreSQL server and database (postgres://user@host:port/database)",
    });
  }
  const { statementTimeoutMs: statement, queryTimeoutMs: query } = o;
  if (typeof statement === "number" && typeof query === "number" && query <= statement) {
    ctx.addIssue({
      code: "custom",
      path: ["queryTimeoutMs"],
      message:
        `(${query}) must be longer than statementTimeoutMs (${statement}): the server cancels a slow ` +
        "statement, the client's timeout is for a server that does not answer at all",
    });
  }
  if (o.caFile !== undefined && o.ssl === false) {
    ctx.addIssue({ code: "custom", path: ["caFile"], message: "turns TLS on, but ssl is false" });
  }
}).transform((o) => withQueryTimeout({ ...o, url: o.url as string }));

/** Every option validated, with its default applied. */
export type ResolvedPostgresBackendOptions = z.output<typeof POSTGRES_BACKEND_OPTIONS>;

/**
 * Options of `PostgresBackend` (README.md: Options), each as its validated value; every one but `url` has a
 * default, and a missing `url` is refused when they are parsed.
 */
export type PostgresBackendOptions = {
  readonly [K in keyof ResolvedPostgresBackendOptions]?: ResolvedPostgresBackendOptions[K];
};

/** The default of every option (`url` has none: it is required). */
export const POSTGRES_BACKEND_DEFAULTS = withQueryTimeout(OPTIONS.parse({}));

/**
 * `options` validated, with their defaults applied.
 * @throws ConfigurationError with one line per bad option, worded as `lattice` words it (`postgres.url …`)
 */
export function parsePostgresBackendOptions(options: PostgresBackendOptions): ResolvedPostgresBackendOptions {
  return parseOptions(POSTGRES_BACKEND_OPTIONS, options, "postgres");
}
