// The one place backends join the host: the list of built-in plugins, one registerBackend call each (a
// backend outside this list is loaded by name: plugin-loader.ts). The only host module that names a backend
// package — the layering lint (.dependency-cruiser.cjs) holds it to that.

import {
  type JetStreamConfig,
  jetstreamPlugin as jetstreamBackendRegistration,
} from "@lattice-cache/jetstream/host";
import { type LegacyConfig, legacyPlugin as legacyBackendRegistration } from "@lattice-cache/legacy/host";
import { memoryPlugin as memoryBackendRegistration } from "@lattice-cache/plugin/memory";
import {
  type PostgresConfig,
  postgresPlugin as postgresBackendRegistration,
} from "@lattice-cache/postgres/host";
import { type RedisConfig, redisPlugin as redisBackendRegistration } from "@lattice-cache/redis/host";
import { BackendRegistry } from "./backend-registry.js";

/** The sections the built-in plugins add to a host's configuration (`nats`, `redis`, `postgres`), validated. */
export type BuiltinSectionsConfig = JetStreamConfig & LegacyConfig & RedisConfig & PostgresConfig;

/** A registry holding every backend this build of the host ships; the first is the default. */
export function createDefaultBackendRegistry(): BackendRegistry {
  return new BackendRegistry()
    .registerBackend(jetstreamBackendRegistration)
    .registerBackend(redisBackendRegistration)
    .registerBackend(legacyBackendRegistration)
    .registerBackend(memoryBackendRegistration)
    .registerBackend(postgresBackendRegistration);
}

/**
 * `lattice bridge` and `lattice migrate` — host features that move a lattice off the legacy broadcast onto
 * the durable backend — are built on the legacy backend's package; they reach it through this one export.
 */
export { legacyMigration } from "@lattice-cache/legacy/host";
