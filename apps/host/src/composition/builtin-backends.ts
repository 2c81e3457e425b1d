// The one place backends join the host: one registerBackend call each. A new adapter adds a line here.

import { legacyPlugin as legacyBackendRegistration } from "@lattice-cache/legacy/host";
import { memoryPlugin as memoryBackendRegistration } from "@lattice-cache/plugin/memory";
import { postgresPlugin as postgresBackendRegistration } from "@lattice-cache/postgres/host";
import { redisPlugin as redisBackendRegistration } from "@lattice-cache/redis/host";
import { BackendRegistry } from "./backend-registry.js";
import { jetstreamBackendRegistration } from "./jetstream-backend-registration.js";

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
