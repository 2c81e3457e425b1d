// @lattice-cache/postgres — the public door of the package: what a program that embeds the cache needs (the
// backend, its options and their schema, the error translation; the connection settings and the closing of a
// connection, for programs that open connections of their own beside it, as the plugin's doctor and status
// channel do). The `lattice` host's plugin: `@lattice-cache/postgres/host`. Helpers for tests:
// `@lattice-cache/postgres/testing`.

export { clientConfig } from "./connection-config.js";
export { endConnection } from "./connection-shutdown.js";
export { listPostgresLattices } from "./lattice-listing.js";
export {
  LATTICE_TABLES,
  type LatticeSchema,
  latticeSchema,
  WRITE_FUNCTION_ARGUMENTS,
} from "./lattice-schema.js";
export { PostgresBackend } from "./postgres-backend.js";
export {
  MAX_PREFIX_LENGTH,
  POSTGRES_BACKEND_DEFAULTS,
  POSTGRES_BACKEND_OPTIONS,
  POSTGRES_PREFIX,
  POSTGRES_SETTINGS,
  POSTGRES_URL_SCHEMES,
  type PostgresBackendOptions,
  parsePostgresBackendOptions,
  type ResolvedPostgresBackendOptions,
} from "./postgres-backend-options.js";
export { postgresErrorText, sqlState, toLatticeError } from "./postgres-errors.js";
