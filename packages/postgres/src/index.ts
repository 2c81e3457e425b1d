// @lattice-cache/postgres — the public door of the package, its only one: what a program that embeds the cache
// needs (the backend and its options). Tests import the modules themselves.

export { PostgresBackend } from "./postgres-backend.js";
export {
  POSTGRES_BACKEND_DEFAULTS,
  POSTGRES_URL_SCHEMES,
  type PostgresBackendOptions,
  resolvePostgresBackendOptions,
} from "./postgres-backend-options.js";
