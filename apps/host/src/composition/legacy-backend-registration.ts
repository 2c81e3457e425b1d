// `backend: legacy` — the generation-1 fire-and-forget broadcast of old wasmCloud hosts (unordered; for
// talking to old hosts and migrating away from them).
import { readFileSync } from "node:fs";
import {
  LegacyBackend,
  type LegacyBackendOptions,
  type LegacyConnectionOptions,
} from "@lattice-cache/legacy";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/nats-core";
import type { DependencyContainer } from "tsyringe";
import { NatsStatusBus } from "../audit/nats-status-bus.js";
import type { HostConfig } from "../config/host-config.js";
import { maskUrlCredentials } from "../config/mask-secrets.js";
import type { BackendRegistration } from "./backend-registry.js";
import { LOGGER, resolveToken } from "./tokens.js";

type LegacyClientOptions = NonNullable<LegacyBackendOptions["connectionOptions"]>;

/** The legacy backend's options from the host's configuration (NATS servers, credentials and TLS). */
export function legacyOptions(config: HostConfig, container: DependencyContainer): LegacyBackendOptions {
  const connection = legacyConnectionOptions(config);
  return {
    servers: connection.servers,
    prefix: config.prefix,
    hostId: config.hostId,
    logger: resolveToken(container, LOGGER),
    connectionOptions: connection.connectionOptions,
  };
}

/**
 * Where the generation-1 lattice is, from the host's configuration: the NATS servers, credentials and TLS
 * files (the bridge and the migrations reach old hosts with these, as the legacy backend does).
 */
export function legacyConnectionOptions(
  config: HostConfig,
): LegacyConnectionOptions & { readonly servers: readonly string[] } {
  const { auth, tls } = config.nats;
  const client: { -readonly [K in keyof LegacyClientOptions]: LegacyClientOptions[K] } = {};
  if (auth.token !== undefined) client.token = auth.token;
  if (auth.user !== undefined) {
    client.user = auth.user;
    client.pass = auth.password;
  }
  if (auth.nkeySeed !== undefined)
    client.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed));
  const credsFile = auth.credsFile;
  // Read on every (re)connect so a rotated creds file is picked up.
  if (credsFile !== undefined) client.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  if (tls !== undefined) client.tls = { ...tls };
  return { servers: config.nats.servers, connectionOptions: client };
}

/** `backend: legacy`. */
export const legacyBackendRegistration: BackendRegistration = {
  name: "legacy",
  description: "the generation-1 NATS broadcast old wasmCloud hosts speak (unordered, not durable)",
  create: (config, container) => new LegacyBackend(legacyOptions(config, container)),
  target: (config) => `NATS at ${config.nats.servers.map(maskUrlCredentials).join(",")} (legacy broadcast)`,
  statusBus: (config, container) => new NatsStatusBus(config, resolveToken(container, LOGGER)),
};
