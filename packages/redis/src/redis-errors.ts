// Translates ioredis / Redis errors into the typed errors of @lattice-cache/core.
import {
  BackendUnavailableError,
  errorText,
  LatticeCacheError,
  PermissionDeniedError,
} from "@lattice-cache/core/backend";

// NOPERM/NOAUTH/WRONGPASS from commands; inside a Lua script Redis 7 reports an ACL refusal as
// "ERR The user executing the script can't run this command or subcommand".
const PERMISSION_CODES = /\b(NOAUTH|WRONGPASS|NOPERM)\b|user executing the script can't run/;

// Node's TLS verification failures (SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, …):
// retrying cannot fix them.
const TLS_CERTIFICATE_CODES = /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** The backend name used in error messages. */
export const BACKEND_NAME = "redis";

/** True when Redis refused for lack of authentication or permission (ACL). */
export function isPermissionError(error: unknown): boolean {
  return PERMISSION_CODES.test(redisErrorText(error));
}

/**
 * True when the error is the server's reply to the command (ioredis `ReplyError`: NOPERM, a script error,
 * …): the server ran or refused it, so its outcome is known. Connection failures and timeouts are not.
 */
export function isServerAnswer(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "ReplyError";
}

/** True for a TLS certificate the client refuses (a configuration problem, not an outage). */
export function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && TLS_CERTIFICATE_CODES.test(code);
}

// Commands whose arguments carry credentials.
const SECRET_COMMANDS = new Set(["auth", "hello"]);

/**
 * Removes credentials ioredis leaves on its errors: a refused AUTH carries `command.args` =
 * `[username, password]`, which any logger serializing the error (or its `cause`) would print.
 * Mutates and returns the error.
 */
export function redactSecrets<E>(error: E): E {
  const command = (error as { command?: { name?: unknown; args?: unknown } } | null)?.command;
  if (command && typeof command.name === "string" && SECRET_COMMANDS.has(command.name.toLowerCase())) {
    command.args = ["[redacted]"];
  }
  return error;
}

/**
 * The typed error for a failed Redis operation: `PermissionDeniedError` for NOAUTH/WRONGPASS/NOPERM,
 * `BackendUnavailableError` for everything else (connection lost, timeouts, LOADING, CLUSTERDOWN, …).
 * Typed errors pass through unchanged.
 */
export function toLatticeError(error: unknown, action: string): LatticeCacheError {
  if (LatticeCacheError.isInstance(error)) return error;
  const text = redisErrorText(error);
  if (PERMISSION_CODES.test(text)) {
    return new PermissionDeniedError(`redis refused to ${action}: ${text}`, { cause: error });
  }
  return new BackendUnavailableError(BACKEND_NAME, `${action} failed: ${text}`, { cause: error });
}

/**
 * Core's `errorText` of a Redis failure, with the credentials ioredis leaves on it removed (see
 * {@link redactSecrets}). A cluster's "all nodes failed" error carries the real reason (e.g. WRONGPASS) in
 * `lastNodeError`; it is appended.
 */
export function redisErrorText(error: unknown): string {
  const text = errorText(redactSecrets(error));
  const last = (error as { lastNodeError?: unknown } | null)?.lastNodeError;
  return last instanceof Error ? `${text} (${errorText(redactSecrets(last))})` : text;
}
