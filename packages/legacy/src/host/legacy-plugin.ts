// `backend: legacy` as a host plugin: the generation-1 fire-and-forget broadcast of old wasmCloud hosts
// (unordered; for talking to old hosts and migrating away from them). Its settings: how to reach NATS
// (`nats.servers`, `nats.auth`, `nats.tls` — the same settings the jetstream backend reads).
import { ConfigurationError, redactUrl } from "@lattice-cache/core";
import { defineBackendPlugin, type PluginConfig } from "@lattice-cache/plugin";
import { NatsStatusBus } from "@lattice-cache/plugin/nats";
import { LegacyBackend } from "../legacy-backend.js";
import { type LegacyConnectionOptions, legacyConfigSection } from "../legacy-options.js";

export { legacyConfigSection };

/** The configuration the legacy backend (and the bridge and migrations that reach old hosts) reads. */
export type LegacyConfig = PluginConfig<typeof legacyConfigSection>;

/**
 * Where the generation-1 lattice is, from a host's configuration: the NATS servers, credentials and TLS
 * files, the lattice prefix and the connect deadline (the bridge and the migrations reach old hosts with
 * these, as the legacy backend does). Throws `ConfigurationError` when the host has no `nats` section.
 */
export function legacyConnectionOf(config: LegacyConfig): LegacyConnectionOptions {
  // A host whose registry lacks this plugin has no `nats` section (its bridge and migrate commands get here).
  if (config.nats === undefined) {
    throw new ConfigurationError("this build of lattice has no NATS settings (no legacy backend)", {
      field: "nats",
    });
  }
  return {
    servers: config.nats.servers,
    auth: config.nats.auth,
    tls: config.nats.tls,
    prefix: config.prefix,
    connectTimeoutMs: config.connectTimeoutMs,
  };
}

/** `backend: legacy`. */
export const legacyPlugin = defineBackendPlugin<LegacyConfig>({
  name: "legacy",
  description: "the generation-1 NATS broadcast old wasmCloud hosts speak (unordered, not durable)",
  config: legacyConfigSection,
  create: (config, host) =>
    new LegacyBackend({ ...legacyConnectionOf(config), hostId: config.hostId, logger: host.logger }),
  target: (config) => `NATS at ${config.nats.servers.map(redactUrl).join(",")} (legacy broadcast)`,
  statusBus: (config, host) => new NatsStatusBus(config, host.statusChannel()),
});
