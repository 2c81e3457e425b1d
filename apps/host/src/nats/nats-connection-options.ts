// nats.js connection options for the host's own small connections (the status channel): the same servers,
// credentials and TLS files as the backend's connection, from the host's configuration.
import { readFileSync } from "node:fs";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/nats-core";
import type { NodeConnectionOptions } from "@nats-io/transport-node";
import type { HostConfig } from "../config/host-config.js";

/**
 * Options for a connection named `name` to the configured NATS servers. `persistent` connections (a host's)
 * reconnect forever; others (a one-shot command's) give up at once, so a dead server fails fast.
 */
export function natsClientOptions(
  config: HostConfig,
  name: string,
  persistent: boolean,
): NodeConnectionOptions {
  const { auth, tls, servers } = config.nats;
  const options: NodeConnectionOptions = {
    servers: [...servers],
    name,
    timeout: config.connectTimeoutMs,
    maxReconnectAttempts: persistent ? -1 : 0,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: false,
  };
  if (auth.token !== undefined) options.token = auth.token;
  if (auth.user !== undefined) {
    options.user = auth.user;
    options.pass = auth.password;
  }
  if (auth.nkeySeed !== undefined) {
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed));
  }
  const credsFile = auth.credsFile;
  // Read on every (re)connect so a rotated creds file is picked up.
  if (credsFile !== undefined) options.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  if (tls !== undefined) options.tls = { ...tls };
  return options;
}
