// The one place backends join the host: one registerBackend call each. A new adapter adds a line here.

import { jetstreamPlugin as jetstreamBackendRegistration } from "@lattice-cache/jetstream/host";
import { memoryPlugin as memoryBackendRegistration } from "@lattice-cache/plugin/memory";
import { BackendRegistry } from "./backend-registry.js";
import { legacyBackendRegistration } from "./legacy-backend-registration.js";
import { postgresBackendRegistration } from "./postgres-backend-registration.js";
import { redisBackendRegistration } from "./redis-backend-registration.js";

/** A registry holding every backend this build of the host ships; the first is the default. */
export function createDefaultBackendRegistry(): BackendRegistry {
  return new BackendRegistry()
    .registerBackend(jetstreamBackendRegistration)
    .registerBackend(redisBackendRegistration)
    .registerBackend(legacyBackendRegistration)
    .registerBackend(memoryBackendRegistration)
    .registerBackend(postgresBackendRegistration);
}
