// `backend: postgres` — @lattice-cache/postgres, registered by one registerBackend call in builtin-backends.ts. Its
// settings are the `postgres` section below (each with its validation, environment variable and flag; they
// join the schema, `config print`, `--help` and the README's settings table). Add the backend's other
// options here as they appear, and a `diagnose` (lattice doctor) and a `statusBus` (lattice status --hosts)
// when it has them: see redis-backend-registration.ts and jetstream-backend-registration.ts.
import { POSTGRES_URL_SCHEMES, PostgresBackend, type PostgresBackendOptions } from "@lattice-cache/postgres";
import type { DependencyContainer } from "tsyringe";
import { configSection } from "../config/config-section.js";
import { setting } from "../config/setting.js";
import { url } from "../config/setting-types.js";
import { maskUrlCredentials } from "../config/url-credentials.js";
import type { BackendConfig, BackendRegistration } from "./backend-registry.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The postgres backend's settings: `postgres.*`. */
export const postgresConfigSection = configSection("postgres", {
  url: setting(url(POSTGRES_URL_SCHEMES).optional(), {
    description: "postgres server URL (`postgres://host:port`; required with `backend: postgres`)",
    env: "LATTICE_POSTGRES_URL",
    flag: "--postgres-url <url>",
    secret: "url-credentials",
  }),
});

/** The configuration the postgres backend reads. */
export type PostgresConfig = BackendConfig<typeof postgresConfigSection>;

/** The postgres backend's options from the host's configuration. */
export function postgresOptions(
  config: PostgresConfig,
  container: DependencyContainer,
): PostgresBackendOptions {
  return {
    url: config.postgres.url,
    prefix: config.prefix,
    logger: resolveToken(container, LOGGER),
  };
}

/** `backend: postgres`. */
export const postgresBackendRegistration: BackendRegistration<PostgresConfig> = {
  name: "postgres",
  description: "postgres through @lattice-cache/postgres (packages/postgres/README.md)",
  config: postgresConfigSection,
  create: (config, container) => new PostgresBackend(postgresOptions(config, container)),
  target: (config) =>
    `postgres at ${config.postgres.url ? maskUrlCredentials(config.postgres.url) : "(no postgres.url)"}`,
};
