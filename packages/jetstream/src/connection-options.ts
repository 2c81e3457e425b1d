// nats.js connection options from servers, credentials and TLS files — the one place they are turned into
// client options: the backend's own connection, and any other NATS connection a program makes with the same
// settings (a host's status channel, the legacy backend's connection).
import { accessSync, constants, readFileSync } from "node:fs";
import { ConfigurationError, errorText } from "@lattice-cache/core/backend";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/nats-core";
import type { NodeConnectionOptions } from "@nats-io/transport-node";
import type { JetStreamAuth, JetStreamTlsFiles, ResolvedOptions } from "./options.js";

/** What {@link natsClientOptions} builds a connection's options from. */
export interface NatsClientSettings {
  /** NATS server URL(s). */
  readonly servers: readonly string[];
  /** The connection name servers show in `connz`. */
  readonly name: string;
  /** Credentials: a token, a user/password pair, an nkey seed or a creds file. Default none. */
  readonly auth?: JetStreamAuth;
  /** TLS files. Default: plain TCP unless the URL says `tls://`. */
  readonly tls?: JetStreamTlsFiles;
  /** How long one connection attempt may take, in ms. */
  readonly timeoutMs: number;
  /** Reconnect attempts before the connection closes for good: `-1` = forever, `0` = none (fail fast). */
  readonly maxReconnectAttempts: number;
  /**
   * Client ping interval in ms; a connection silent for three pings is treated as dead. Default: the
   * client's (2 minutes, two pings).
   */
  readonly pingIntervalMs?: number;
  /**
   * The configuration section the settings come from, so an unreadable file is reported as
   * `{section}.auth.credsFile`, `{section}.tls.caFile`, … Default `jetstream`.
   */
  readonly configSection?: string;
}

/**
 * nats.js options for a connection with `settings`. Every file is checked readable first (a
 * `ConfigurationError` naming the field otherwise); a creds file is read again on every (re)connect, so a
 * rotated one is picked up without a restart. Per-request async traces are off.
 */
export function natsClientOptions(settings: NatsClientSettings): NodeConnectionOptions {
  const section = settings.configSection ?? "jetstream";
  const connect: NodeConnectionOptions = {
    servers: [...settings.servers],
    name: settings.name,
    maxReconnectAttempts: settings.maxReconnectAttempts,
    reconnectTimeWait: 1000,
    timeout: settings.timeoutMs,
    waitOnFirstConnect: false,
    // nats.js otherwise builds two Error objects (with stack traces) for every request — every write —
    // only to decorate a possible timeout; measured at ~30% of a write's client CPU. Our errors carry the
    // key and operation instead.
    noAsyncTraces: true,
  };
  if (settings.pingIntervalMs !== undefined) {
    connect.pingInterval = settings.pingIntervalMs;
    connect.maxPingOut = 3;
  }
  const auth = settings.auth;
  if (auth !== undefined) {
    if ("token" in auth) connect.token = auth.token;
    else if ("user" in auth) {
      connect.user = auth.user;
      connect.pass = auth.pass;
    } else if ("nkeySeed" in auth) {
      connect.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed.trim()));
    } else {
      const path = auth.credsFile;
      assertReadable(path, `${section}.auth.credsFile`, "creds file");
      // Read on every (re)connect so a rotated creds file is picked up without a restart.
      connect.authenticator = credsAuthenticator(() => readFileSync(path));
    }
  }
  if (settings.tls !== undefined) {
    const { caFile, certFile, keyFile } = settings.tls;
    if (caFile !== undefined) assertReadable(caFile, `${section}.tls.caFile`, "CA file");
    if (certFile !== undefined) assertReadable(certFile, `${section}.tls.certFile`, "certificate file");
    if (keyFile !== undefined) assertReadable(keyFile, `${section}.tls.keyFile`, "key file");
    connect.tls = {
      ...(caFile !== undefined ? { caFile } : {}),
      ...(certFile !== undefined ? { certFile } : {}),
      ...(keyFile !== undefined ? { keyFile } : {}),
    };
  }
  return connect;
}

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
    auth: options.auth,
    tls: options.tls,
    timeoutMs: Math.min(options.openTimeoutMs, 10_000),
    maxReconnectAttempts: options.maxReconnectAttempts,
    pingIntervalMs: options.pingIntervalMs,
  });
}

function assertReadable(path: string, field: string, what: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new ConfigurationError(`${field}: cannot read the ${what} ${path} (${errorText(error)})`, {
      field,
      cause: error,
    });
  }
}
