// Turns the backend's options into nats.js connection options: name, reconnect policy, auth, TLS.
import { accessSync, constants, readFileSync } from "node:fs";
import { ConfigurationError } from "@lattice-cache/core";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/nats-core";
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
  const connect: NodeConnectionOptions = {
    servers: [...options.servers],
    name: connectionName(options.hostId),
    maxReconnectAttempts: options.maxReconnectAttempts,
    reconnectTimeWait: 1000,
    pingInterval: options.pingIntervalMs,
    maxPingOut: 3,
    timeout: Math.min(options.openTimeoutMs, 10_000),
    waitOnFirstConnect: false,
    // nats.js otherwise builds two Error objects (with stack traces) for every request — every write —
    // only to decorate a possible timeout; measured at ~30% of a write's client CPU. Our errors carry the
    // key and operation instead.
    noAsyncTraces: true,
  };
  const auth = options.auth;
  if (auth !== undefined) {
    if ("token" in auth) connect.token = auth.token;
    else if ("user" in auth) {
      connect.user = auth.user;
      connect.pass = auth.pass;
    } else if ("nkeySeed" in auth) {
      connect.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed.trim()));
    } else {
      const path = auth.credsFile;
      assertReadable(path, "jetstream.auth.credsFile", "creds file");
      // Read on every (re)connect so a rotated creds file is picked up without a restart.
      connect.authenticator = credsAuthenticator(() => readFileSync(path));
    }
  }
  if (options.tls !== undefined) {
    const { caFile, certFile, keyFile } = options.tls;
    if (caFile !== undefined) assertReadable(caFile, "jetstream.tls.caFile", "CA file");
    if (certFile !== undefined) assertReadable(certFile, "jetstream.tls.certFile", "certificate file");
    if (keyFile !== undefined) assertReadable(keyFile, "jetstream.tls.keyFile", "key file");
    connect.tls = {
      ...(caFile !== undefined ? { caFile } : {}),
      ...(certFile !== undefined ? { certFile } : {}),
      ...(keyFile !== undefined ? { keyFile } : {}),
    };
  }
  return connect;
}

/** A server URL without user info, safe for status output and logs. */
export function redactServerUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1");
}

function assertReadable(path: string, field: string, what: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new ConfigurationError(`${field}: cannot read the ${what} ${path} (${(error as Error).message})`, {
      field,
      cause: error,
    });
  }
}
