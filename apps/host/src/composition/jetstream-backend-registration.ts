// `backend: jetstream` — the default: NATS JetStream KV bucket LATTICEDATA_{prefix}.
import { type JetStreamAuth, JetStreamBackend, type JetStreamBackendOptions } from "@lattice-cache/jetstream";
import type { DependencyContainer } from "tsyringe";
import type { HostConfig, NatsAuthConfig } from "../config/host-config.js";
import { maskUrlCredentials } from "../config/mask-secrets.js";
import { NatsStatusBus } from "../audit/nats-status-bus.js";
import { diagnoseJetStream } from "../doctor/jetstream-checks.js";
import type { BackendRegistration } from "./backend-registry.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The jetstream backend's options from the host's configuration. */
export function jetstreamOptions(
  config: HostConfig,
  container: DependencyContainer,
): JetStreamBackendOptions {
  const nats = config.nats;
  return {
    servers: nats.servers,
    prefix: config.prefix,
    hostId: config.hostId,
    jsDomain: nats.jsDomain,
    provision: nats.provision,
    bucket: { ...nats.bucket },
    auth: jetstreamAuth(nats.auth),
    tls: nats.tls,
    openTimeoutMs: config.connectTimeoutMs,
    logger: resolveToken(container, LOGGER),
  };
}

function jetstreamAuth(auth: NatsAuthConfig): JetStreamAuth | undefined {
  if (auth.token !== undefined) return { token: auth.token };
  if (auth.user !== undefined && auth.password !== undefined) return { user: auth.user, pass: auth.password };
  if (auth.nkeySeed !== undefined) return { nkeySeed: auth.nkeySeed };
  if (auth.credsFile !== undefined) return { credsFile: auth.credsFile };
  return undefined;
}

/** `backend: jetstream`. */
export const jetstreamBackendRegistration: BackendRegistration = {
  name: "jetstream",
  description: "NATS JetStream KV bucket LATTICEDATA_{prefix} (the default; what wasmCloud hosts use)",
  create: (config, container) => new JetStreamBackend(jetstreamOptions(config, container)),
  target: (config) => `NATS at ${config.nats.servers.map(maskUrlCredentials).join(",")}`,
  diagnose: (config, container) => diagnoseJetStream(jetstreamOptions(config, container)),
  statusBus: (config, container) => new NatsStatusBus(config, resolveToken(container, LOGGER)),
};
