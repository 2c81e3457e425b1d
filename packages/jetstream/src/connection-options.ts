// The backend's own connection options, built by the plugin contract's `natsClientOptions` (the one
// conversion of servers, credentials and TLS files into nats.js options).
import { natsAuth, natsClientOptions } from "@lattice-cache/plugin/nats";
import type { NodeConnectionOptions } from "@nats-io/transport-node";
import type { ResolvedOptions } from "./options.js";

/** The connection name servers show in `connz`: `lattice-cache:{hostId}`. */
export function connectionName(hostId: string): string {
  return `lattice-cache:${hostId}`;
}

/**
 * nats.js options for the backend's own connection. Reconnects forever by default (the client's own
 * default of 10 attempts would leave a host disconnected for good after a long outage), and pings often
 * enough that a silently dead connection is noticed in tens of seconds rather than minutes.
 */
export function natsConnectOptions(options: ResolvedOptions): NodeConnectionOptions {
  return natsClientOptions({
    servers: options.servers,
    name: connectionName(options.hostId),
    auth: natsAuth(options.auth),
    tls: options.tls,
    timeoutMs: Math.min(options.openTimeoutMs, 10_000),
    maxReconnectAttempts: options.maxReconnectAttempts,
    pingIntervalMs: options.pingIntervalMs,
  });
}
