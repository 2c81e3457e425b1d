// The options of the postgres backend, their defaults, and their validation: a bad option is a
// ConfigurationError naming the field (`postgres.url`, as the host's configuration calls it), thrown by the
// constructor, before anything connects. Add the backend's own options here (credentials, TLS, timeouts),
// each with its default in POSTGRES_BACKEND_DEFAULTS and a check below.
import { ConfigurationError, type Logger } from "@lattice-cache/core";

/** The URL schemes of a postgres server address (the host's `postgres.url` setting accepts the same). */
export const POSTGRES_URL_SCHEMES = ["postgres:"] as const;

/** Options of `PostgresBackend`. */
export interface PostgresBackendOptions {
  /** Where the postgres server listens: `postgres://host:port`. Required. Credentials in it are never logged. */
  readonly url?: string;
  /** The lattice prefix (wasmCloud's): keeps one lattice's entries apart from every other's. Default `default`. */
  readonly prefix?: string;
  /**
   * How long one read of a live feed waits for a change before the feed checks the head again (a lost
   * history makes no noise; core's `followLog` `waitMs`). Default 1 000 ms.
   */
  readonly feedWaitMs?: number;
  /** Structured logger (pino works). Default: silent. */
  readonly logger?: Logger;
}

/** Every option with its default applied. */
export interface ResolvedPostgresBackendOptions {
  readonly url: string;
  readonly prefix: string;
  readonly feedWaitMs: number;
}

/** The defaults of the options that have one. */
export const POSTGRES_BACKEND_DEFAULTS = {
  prefix: "default",
  feedWaitMs: 1_000,
} as const;

/** What a prefix may hold (the host's own rule for `prefix`). */
const PREFIX = /^[A-Za-z0-9_-]+$/;

/** Applies the defaults and validates; throws `ConfigurationError` naming the field. */
export function resolvePostgresBackendOptions(
  options: PostgresBackendOptions,
): ResolvedPostgresBackendOptions {
  const prefix = options.prefix ?? POSTGRES_BACKEND_DEFAULTS.prefix;
  if (!PREFIX.test(prefix)) {
    throw new ConfigurationError(
      `postgres.prefix may only contain letters, digits, _ and - (got ${JSON.stringify(prefix)})`,
      { field: "postgres.prefix" },
    );
  }
  return {
    url: checkUrl(options.url),
    prefix,
    feedWaitMs: positiveInteger("feedWaitMs", options.feedWaitMs ?? POSTGRES_BACKEND_DEFAULTS.feedWaitMs),
  };
}

/** `url` without its password, for messages, logs and `describe()`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable url)";
  }
}

function checkUrl(url: string | undefined): string {
  const field = "postgres.url";
  if (url === undefined || url.trim() === "") {
    throw new ConfigurationError(
      `${field} is required: where the postgres server listens (postgres://host:port)`,
      {
        field,
      },
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`${field} is not a URL: ${redactUrl(url)}`, { field });
  }
  const schemes: readonly string[] = POSTGRES_URL_SCHEMES;
  if (!schemes.includes(parsed.protocol)) {
    const allowed = schemes.map((scheme) => `${scheme}//`);
    throw new ConfigurationError(
      `${field} must start with ${allowed.join(" or ")} (got ${parsed.protocol}//)`,
      {
        field,
        allowed,
      },
    );
  }
  if (parsed.hostname === "") {
    throw new ConfigurationError(`${field} has no host: ${redactUrl(url)}`, { field });
  }
  return url;
}

function positiveInteger(name: keyof PostgresBackendOptions, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`postgres.${name} must be a positive integer (got ${String(value)})`, {
      field: `postgres.${name}`,
    });
  }
  return value;
}
