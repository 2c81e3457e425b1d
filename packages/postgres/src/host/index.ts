// @lattice-cache/postgres/host — for the `lattice` host (and whoever builds one): the postgres backend as a
// host plugin (the `@lattice-cache/plugin` contract) — its `postgres` config section, doctor checks and the
// NOTIFY status channel. A program that embeds the cache needs none of it: `@lattice-cache/postgres`.

export { type PostgresConfig, postgresPlugin } from "./postgres-plugin.js";
export {
  PostgresStatusBus,
  type PostgresStatusBusConfig,
  postgresStatusChannels,
} from "./postgres-status-bus.js";
