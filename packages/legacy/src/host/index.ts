// @lattice-cache/legacy/host — for the `lattice` host (and any host that loads backend plugins), not for a
// program that embeds the cache (that one uses `@lattice-cache/legacy`): `backend: legacy` as a plugin, and
// `legacyMigration`, what the host's `lattice bridge` and `lattice migrate` are built on.

export * as legacyMigration from "./legacy-migration.js";
export { type LegacyConfig, legacyConfigSection, legacyConnectionOf, legacyPlugin } from "./legacy-plugin.js";
