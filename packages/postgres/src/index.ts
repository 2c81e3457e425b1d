// @lattice-cache/postgres — the public door of the package: what a program that embeds the cache needs (the
// backend, its options, the error translation). Helpers for tests: `@lattice-cache/postgres/testing`.

export { type LatticeSchema, latticeSchema } from "./lattice-schema.js";
export { PostgresBackend } from "./postgres-backend.js";
export {
  MAX_PREFIX_LENGTH,
  POSTGRES_BACKEND_DEFAULTS,
  POSTGRES_URL_SCHEMES,
  type PostgresBackendOptions,
  resolvePostgresBackendOptions,
} from "./postgres-backend-options.js";
export { toLatticeError } from "./postgres-errors.js";
