// The `nats` settings in the shapes a connection takes: the auth union of `natsClientOptions` (the one
// conversion of servers, credentials and TLS files into client options), and the nats.js options of a
// connection a host or plugin makes with them — the status channel, the legacy backend's.

import type { NodeConnectionOptions } from "@nats-io/transport-node";
import { type NatsAuth, natsClientOptions } from "./nats-client-options.js";
import type { NatsConnectionSettings } from "./nats-settings.js";

/** The configured credentials as `natsClientOptions` takes them (validation allows at most one method). */
export function natsAuth(auth: NatsConnectionSettings["auth"]): NatsAuth | undefined {
  if (auth.token !== undefined) return { token: auth.token };
  if (auth.user !== undefined && auth.password !== undefined) return { user: auth.user, pass: auth.password };
  if (auth.nkeySeed !== undefined) return { nkeySeed: auth.nkeySeed };
  if (auth.credsFile !== undefined) return { credsFile: auth.credsFile };
  return undefined;
}

/** How one of the host's connections behaves. */
export interface NatsConnectionRole {
  /** The connection name servers show in `connz`. */
  readonly name: string;
  /** How long one connection attempt may take, in ms. */
  readonly timeoutMs: number;
  /** `true`: reconnect forever (a host's connections); `false`: give up at once (a one-shot command's). */
  readonly persistent: boolean;
}

/**
 * nats.js options for a connection to the configured servers with the configured credentials and TLS
 * files. Throws `ConfigurationError` (field `nats.auth.credsFile`, `nats.tls.caFile`, …) for an unreadable file.
 */
export function natsConnectionOptions(
  nats: NatsConnectionSettings,
  role: NatsConnectionRole,
): NodeConnectionOptions {
  return natsClientOptions({
    servers: nats.servers,
    name: role.name,
    auth: natsAuth(nats.auth),
    tls: nats.tls,
    timeoutMs: role.timeoutMs,
    maxReconnectAttempts: role.persistent ? -1 : 0,
    configSection: "nats",
  });
}
