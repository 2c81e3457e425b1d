// `backend: postgres` — @lattice-cache/postgres (a schema per lattice in PostgreSQL, through node-postgres),
// registered by one registerBackend call in builtin-backends.ts. Its settings are the `postgres` section
// below (each with its validation, environment variable and flag; they join the schema, `config print`,
// `--help` and the README's settings table). `lattice doctor` checks the server, the lattice's schema and the
// role's privileges (doctor/postgres-checks.ts); `lattice status --hosts` travels on PostgreSQL NOTIFY
// (audit/postgres-status-bus.ts), or on the NATS subject with the `nats` settings when
// `postgres.statusChannel` is `nats`.
import { readFileSync } from "node:fs";
import { ConfigurationError, errorText, redactUrl } from "@lattice-cache/core";
import type { StatusBus } from "@lattice-cache/plugin";
import {
  choice,
  configSection,
  defineBackendPlugin,
  integer,
  type PluginConfig,
  type PluginHost,
  provisionOf,
  setting,
  text,
  url,
} from "@lattice-cache/plugin";
import type { NatsConnectionSettings } from "@lattice-cache/plugin/nats";
import { NatsStatusBus } from "@lattice-cache/plugin/nats";
import {
  listPostgresLattices,
  POSTGRES_URL_SCHEMES,
  PostgresBackend,
  type PostgresBackendOptions,
} from "@lattice-cache/postgres";
import { PostgresStatusBus } from "../audit/postgres-status-bus.js";
import { diagnosePostgres } from "../doctor/postgres-checks.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The postgres backend's settings: `postgres.*`. */
export const postgresConfigSection = configSection("postgres", {
  url: setting(url(POSTGRES_URL_SCHEMES).optional(), {
    description:
      "PostgreSQL server and database (`postgres://user@host:port/database`, libpq parameters such as `sslmode`; required with `backend: postgres`)",
    env: "LATTICE_POSTGRES_URL",
    flag: "--postgres-url <url>",
    secret: "url-credentials",
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
  changeLogLength: setting(integer(1, 1_000_000_000).optional(), {
    description: "changes kept in the change log",
    defaultText: "backend default (100 000)",
  }),
  statusChannel: setting(choice(["notify", "nats"]).default("notify"), {
    description:
      "where hosts answer `lattice status --hosts`: PostgreSQL NOTIFY, or the NATS subject through the `nats` settings (the same on every host of a lattice)",
    env: "LATTICE_POSTGRES_STATUS_CHANNEL",
  }),
});

/**
 * The configuration the postgres backend reads: its section, and the NATS connection settings when this
 * build has them (with `postgres.statusChannel: nats`).
 */
export type PostgresConfig = PluginConfig<typeof postgresConfigSection> & {
  readonly nats?: NatsConnectionSettings;
};

/** The CA file's PEM. @throws ConfigurationError naming `postgres.caFile` when it cannot be read. */
function readCa(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigurationError(`postgres.caFile cannot be read: ${errorText(error)}`, {
      field: "postgres.caFile",
      cause: error,
    });
  }
}

/** The postgres backend's options from the host's configuration. */
export function postgresOptions(config: PostgresConfig, host: PluginHost): PostgresBackendOptions {
  const { url, password, caFile, changeLogLength } = config.postgres;
  return {
    url,
    prefix: config.prefix,
    provision: provisionOf(config),
    ...(password === undefined ? {} : { password }),
    ...(caFile === undefined ? {} : { ssl: { ca: readCa(caFile) } }),
    ...(changeLogLength === undefined ? {} : { changeLogLength }),
    connectTimeoutMs: config.connectTimeoutMs,
    logger: host.logger,
  };
}

/** The status channel of the configured kind: NOTIFY in the lattice's database, or the NATS subject. */
function postgresStatusBus(config: PostgresConfig, host: PluginHost): StatusBus {
  const context = host.statusChannel();
  if (config.postgres.statusChannel === "nats") {
    if (config.nats === undefined) {
      throw new ConfigurationError(
        "postgres.statusChannel is nats, but this build of lattice has no NATS settings",
        { field: "postgres.statusChannel" },
      );
    }
    return new NatsStatusBus({ ...config, nats: config.nats }, context);
  }
  return new PostgresStatusBus({ options: postgresOptions(config, host), hostId: config.hostId }, context);
}

/** `backend: postgres`. */
export const postgresBackendRegistration = defineBackendPlugin<PostgresConfig>({
  name: "postgres",
  description: "PostgreSQL through @lattice-cache/postgres (packages/postgres/README.md)",
  config: postgresConfigSection,
  create: (config, host) => new PostgresBackend(postgresOptions(config, host)),
  target: (config) =>
    `PostgreSQL at ${config.postgres.url ? redactUrl(config.postgres.url) : "(no postgres.url)"}`,
  lattices: (config, host) => listPostgresLattices(postgresOptions(config, host)),
  diagnose: (config, host) => diagnosePostgres(postgresOptions(config, host)),
  statusBus: postgresStatusBus,
});
