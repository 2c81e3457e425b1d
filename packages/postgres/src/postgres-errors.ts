// Translates node-postgres and PostgreSQL errors into the typed errors of @lattice-cache/core, by SQLSTATE
// (https://www.postgresql.org/docs/current/errcodes-appendix.html) and by node's socket and TLS codes.
import {
  BackendUnavailableError,
  ConfigurationError,
  errorText,
  LatticeCacheError,
  PermissionDeniedError,
} from "@lattice-cache/core/backend";

/** The backend name used in error messages. */
export const BACKEND_NAME = "postgres";

/** Refused credentials: invalid_authorization_specification, invalid_password. */
const AUTHENTICATION_CODES = new Set(["28000", "28P01"]);

/** insufficient_privilege: the role may not use the lattice's schema, tables or function. */
const PRIVILEGE_CODE = "42501";

/**
 * The lattice is not there (or only partly): invalid_schema_name, undefined_table, undefined_function —
 * dropped by an operator, never created, or lost with the database: create it again (a new history).
 */
const MISSING_LATTICE_CODES = new Set(["3F000", "42P01", "42883"]);

/** Node's TLS verification failures: retrying cannot fix them. */
const TLS_CERTIFICATE_CODES = /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** Messages of node-postgres for a server that has no TLS, or a handshake that failed. */
const TLS_SETUP_MESSAGES = /does not support SSL connections|error establishing an SSL connection/;

/** The SQLSTATE of a server error, or undefined for any other failure. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the server refused the credentials. */
export function isAuthenticationError(error: unknown): boolean {
  return AUTHENTICATION_CODES.has(sqlState(error) ?? "");
}

/** True when the role lacks a privilege on the lattice's objects (or to create them). */
export function isPrivilegeError(error: unknown): boolean {
  return sqlState(error) === PRIVILEGE_CODE;
}

/** True when the lattice's schema, a table or the write function does not exist. */
export function isMissingLattice(error: unknown): boolean {
  return MISSING_LATTICE_CODES.has(sqlState(error) ?? "");
}

/** True for a TLS problem that retrying cannot fix (a refused certificate, a server without TLS). */
export function isTlsSetupError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && TLS_CERTIFICATE_CODES.test(code)) return true;
  return TLS_SETUP_MESSAGES.test(errorText(error));
}

/** True for a failure no retry can fix: credentials, privileges, TLS, a database that does not exist. */
export function isPermanent(error: unknown): boolean {
  return (
    isAuthenticationError(error) ||
    isPrivilegeError(error) ||
    isTlsSetupError(error) ||
    sqlState(error) === "3D000"
  );
}

/** True when the client gave up waiting for the server's answer (the server may still act on the query). */
export function isClientTimeout(error: unknown): boolean {
  return /Query read timeout/.test(errorText(error));
}

/**
 * The text of a failure for messages and the replica's status: the server's message with its SQLSTATE, or
 * node's. node-postgres never puts the password in its errors.
 */
export function postgresErrorText(error: unknown): string {
  const state = sqlState(error);
  let text = errorText(error);
  // Node reports a refused connection to every address of a name as an AggregateError without a message.
  if (text === "" && error instanceof AggregateError) {
    text = error.errors.map((e) => errorText(e)).join("; ") || String((error as { code?: unknown }).code);
  }
  return state === undefined ? text : `${text} (SQLSTATE ${state})`;
}

/**
 * The typed error for a failed operation (`action`: what was being done, e.g. `write LINKDEF_…`):
 * `PermissionDeniedError` for refused credentials or privileges, `ConfigurationError` for TLS set-up and a
 * database that does not exist, `BackendUnavailableError` for everything else — connections refused, cut or
 * timed out, a server shutting down or starting, cancelled statements. Typed errors pass through unchanged.
 */
export function toLatticeError(error: unknown, action: string): LatticeCacheError {
  if (LatticeCacheError.isInstance(error)) return error;
  const text = postgresErrorText(error);
  if (isAuthenticationError(error)) {
    return new PermissionDeniedError(`postgres refused the credentials (${action}): ${text}`, {
      cause: error,
    });
  }
  if (isPrivilegeError(error)) {
    return new PermissionDeniedError(
      `postgres refused to ${action}: ${text} — the role needs USAGE on the lattice's schema, SELECT, INSERT, ` +
        "UPDATE and DELETE on its tables and EXECUTE on its write function, or CREATE on the database to " +
        "create them (packages/postgres/README.md, Privileges)",
      { cause: error },
    );
  }
  if (isTlsSetupError(error)) {
    return new ConfigurationError(`postgres TLS (${action}): ${text}`, {
      field: "postgres.ssl",
      cause: error,
    });
  }
  if (sqlState(error) === "3D000") {
    return new ConfigurationError(`postgres (${action}): ${text}`, { field: "postgres.url", cause: error });
  }
  if (isClientTimeout(error)) {
    return new BackendUnavailableError(
      BACKEND_NAME,
      `${action}: no answer from the server in time (${text})`,
      { cause: error },
    );
  }
  return new BackendUnavailableError(BACKEND_NAME, `${action} failed: ${text}`, { cause: error });
}
