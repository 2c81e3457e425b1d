// The node-postgres settings of every connection the backend opens (its pool and each feed's own): the URL
// with the options' credentials and TLS (a CA file read here) on top, and the settings that make a silent
// partition fail fast — a connect timeout, a client-side query timeout, the server's statement timeout, TCP
// keepalive.
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { ConfigurationError, errorText } from "@lattice-cache/core/backend";
import type { ClientConfig } from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import type { ResolvedPostgresBackendOptions } from "./postgres-backend-options.js";

/** A transaction left idle this long (a client that died mid-snapshot) is ended by the server. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * The settings of one connection. Throws `ConfigurationError` naming `postgres.url` when the URL cannot be
 * used — a malformed parameter, an `sslrootcert` file that cannot be read — or `postgres.caFile` when that
 * file cannot be read.
 */
export function clientConfig(o: ResolvedPostgresBackendOptions): ClientConfig {
  let parsed: ClientConfig;
  try {
    parsed = parseIntoClientConfig(o.url);
  } catch (error) {
    throw new ConfigurationError(`postgres.url cannot be used: ${errorText(error)}`, {
      field: "postgres.url",
      cause: error,
    });
  }
  // The URL's settings first, then what the options say (the URL parser's result would win otherwise).
  return {
    ...parsed,
    ...(o.user === undefined ? {} : { user: o.user }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...tlsOf(o),
    application_name: parsed.application_name ?? o.applicationName,
    connectionTimeoutMillis: Math.min(o.queryTimeoutMs, o.connectTimeoutMs),
    query_timeout: o.queryTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: o.keepAliveDelayMs,
  };
}

/** The TLS of the options: `ssl` as given, with the CA file's PEM as `ca` (which turns TLS on). */
function tlsOf(o: ResolvedPostgresBackendOptions): { ssl?: boolean | ConnectionOptions } {
  if (o.caFile === undefined) return o.ssl === undefined ? {} : { ssl: o.ssl };
  let ca: string;
  try {
    ca = readFileSync(o.caFile, "utf8");
  } catch (error) {
    throw new ConfigurationError(`postgres.caFile cannot be read: ${errorText(error)}`, {
      field: "postgres.caFile",
      cause: error,
    });
  }
  return { ssl: { ...(typeof o.ssl === "object" ? o.ssl : {}), ca } };
}
