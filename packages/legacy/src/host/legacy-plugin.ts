// `backend: legacy` — the generation-1 fire-and-forget broadcast of old wasmCloud hosts (unordered; for
// talking to old hosts and migrating away from them). Its settings: how to reach NATS (`nats.servers`,
// `nats.auth`, `nats.tls` — the same settings the jetstream backend reads).
import { ConfigurationError, redactUrl } from "@lattice-cache/core";
import {
  LegacyBackend,
  type LegacyBackendOptions,
  type LegacyConnectionOptions,
} from "@lattice-cache/legacy";
import {
  configSection,
  defineBackendPlugin,
  type PluginConfig,
  type PluginHost,
} from "@lattice-cache/plugin";
import { NATS_CONNECTION_SETTINGS, NatsStatusBus, natsConnectionOptions } from "@lattice-cache/plugin/nats";
import { LOGGER, resolveToken } from "./tokens.js";

/** The legacy backend's settings: the NATS connection, under `nats`. */
export const legacyConfigSection = configSection("nats", NATS_CONNECTION_SETTINGS);

/** The configuration the legacy backend (and the bridge and migrations that reach old hosts) reads. */
export type LegacyConfig = PluginConfig<typeof legacyConfigSection>;

/** The legacy backend's options from the host's configuration (NATS servers, credentials and TLS). */
export function legacyOptions(config: LegacyConfig, host: PluginHost): LegacyBackendOptions {
  return {
    ...legacyConnectionOptions(config),
    prefix: config.prefix,
    hostId: config.hostId,
    logger: host.logger,
  };
}

/**
 * Where the generation-1 lattice is, from the host's configuration: the NATS servers, credentials and TLS
 * files (the bridge and the migrations reach old hosts with these, as the legacy backend does).
 */
export function legacyConnectionOptions(
  config: LegacyConfig,
): LegacyConnectionOptions & { readonly servers: readonly string[] } {
  if (config.nats === undefined) {
    throw new ConfigurationError("this build of lattice has no NATS settings (no legacy backend)", {
      field: "nats",
    });
  }
  // The package names its connections itself and owns `servers`; the rest is the host's conversion.
  const {
    servers: _servers,
    name: _name,
    ...connectionOptions
  } = natsConnectionOptions(config.nats, {
    name: "lattice-cache legacy",
    timeoutMs: config.connectTimeoutMs,
    persistent: true,
  });
  return { servers: config.nats.servers, connectionOptions };
}

/** `backend: legacy`. */
export const legacyBackendRegistration = defineBackendPlugin<LegacyConfig>({
  name: "legacy",
  description: "the generation-1 NATS broadcast old wasmCloud hosts speak (unordered, not durable)",
  config: legacyConfigSection,
  create: (config, host) => new LegacyBackend(legacyOptions(config, host)),
  target: (config) => `NATS at ${config.nats.servers.map(redactUrl).join(",")} (legacy broadcast)`,
  statusBus: (config, host) => new NatsStatusBus(config, host.statusChannel()),
});
