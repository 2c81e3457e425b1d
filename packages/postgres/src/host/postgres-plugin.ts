// `backend: postgres` as a `lattice` host plugin. Its settings are the `postgres` section: the backend's own
// options schema (POSTGRES_SETTINGS, with their validation, environment variables and flags; they join the
// host's schema, `config print`, `--help` and the README's settings table) and `statusChannel`. `lattice
// doctor` checks the server, the lattice's schema and the role's privileges (postgres-checks.ts);
// `lattice status --hosts` travels on PostgreSQL NOTIFY (postgres-status-bus.ts), or on the NATS subject
// with the `nats` settings when `postgres.statusChannel` is `nats`.
import { ConfigurationError, redactUrl } from "@lattice-cache/core";
import {
  choice,
  configSection,
  defineBackendPlugin,
  type PluginConfig,
  type PluginHost,
  provisionOf,
  type StatusBus,
  setting,
  settingProblemText,
} from "@lattice-cache/plugin";
import { type NatsConnectionSettings, NatsStatusBus } from "@lattice-cache/plugin/nats";
import { listPostgresLattices } from "../lattice-listing.js";
import { PostgresBackend } from "../postgres-backend.js";
import {
  POSTGRES_PREFIX,
  POSTGRES_SETTINGS,
  type PostgresBackendOptions,
} from "../postgres-backend-options.js";
import { diagnosePostgres } from "./postgres-checks.js";
import { PostgresStatusBus } from "./postgres-status-bus.js";

/** The postgres backend's settings: `postgres.*` — its options' settings, and where hosts answer status. */
export const postgresConfigSection = configSection("postgres", {
  ...POSTGRES_SETTINGS,
  statusChannel: setting(choice(["notify", "nats"]).default("notify"), {
    description:
      "where hosts answer `lattice status --hosts`: PostgreSQL NOTIFY, or the NATS subject through the `nats` settings (the same on every host of a lattice)",
    env: "LATTICE_POSTGRES_STATUS_CHANNEL",
  }),
});

/**
 * The configuration the postgres backend reads: its section, and the NATS connection settings when the host
 * has them (with `postgres.statusChannel: nats`).
 */
export type PostgresConfig = PluginConfig<typeof postgresConfigSection> & {
  readonly nats?: NatsConnectionSettings;
};

/**
 * The configured prefix, held to PostgreSQL's own limit (POSTGRES_PREFIX) and named as users write it.
 * @throws ConfigurationError naming `prefix`
 */
function postgresPrefix(prefix: string): string {
  const checked = POSTGRES_PREFIX.safeParse(prefix);
  if (checked.success) return checked.data;
  const message = checked.error.issues[0]?.message ?? "is not a valid prefix";
  throw new ConfigurationError(settingProblemText("prefix", message), { field: "prefix" });
}

/** The postgres backend's options from the host's configuration. */
export function postgresOptions(config: PostgresConfig, host: PluginHost): PostgresBackendOptions {
  const { statusChannel: _, ...settings } = config.postgres;
  return {
    ...settings,
    prefix: postgresPrefix(config.prefix),
    provision: provisionOf(config),
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
export const postgresPlugin = defineBackendPlugin<PostgresConfig>({
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
