// The plugin's own PostgreSQL connections (lattice doctor, the status channel): the backend's connection
// settings — the URL, password, TLS and the timeouts that make a silent partition fail fast — under another
// application_name, and a connection that reports its errors instead of crashing the process.
import pg from "pg";
import { clientConfig } from "../connection-config.js";
import { endConnection } from "../connection-shutdown.js";
import { type PostgresBackendOptions, parsePostgresBackendOptions } from "../postgres-backend-options.js";

/** The settings of one connection made with the backend's options, named `applicationName` on the server. */
export function hostPostgresClientConfig(
  options: PostgresBackendOptions,
  applicationName: string,
): pg.ClientConfig {
  return clientConfig(parsePostgresBackendOptions({ ...options, applicationName }));
}

/**
 * Connects one client. `onError` hears errors of the idle connection (node-postgres emits them as events: an
 * unheard one would end the process). A failed connect closes the client and rethrows the driver's error.
 */
export async function connectPostgresClient(
  config: pg.ClientConfig,
  onError: (error: Error) => void,
): Promise<pg.Client> {
  const client = new pg.Client(config);
  client.on("error", onError);
  try {
    await client.connect();
  } catch (error) {
    await endConnection(client);
    throw error;
  }
  return client;
}
