// Typed errors with stable codes. One base class; `isInstance` works across duplicated installs.
// Rules cited here: docs/semantics.md#rule-4, #rule-5, #rule-8, #rule-10, #rule-11.

const MARKER = Symbol.for("lattice-cache.error");

/** Keys in messages are cut to this many characters, so a hostile 1 MB key does not make a 1 MB log line. */
const KEY_IN_MESSAGE = 120;

function shown(key: string): string {
  return key.length <= KEY_IN_MESSAGE ? key : `${key.slice(0, KEY_IN_MESSAGE)}… (${key.length} characters)`;
}

/** Stable codes a caller can branch on. */
export type LatticeErrorCode =
  | "CONFLICT"
  | "NOT_READY"
  | "BACKEND_UNAVAILABLE"
  | "INVALID_ENTRY"
  | "INVALID_KEY"
  | "VALUE_TOO_LARGE"
  | "CONFIGURATION"
  | "UNSUPPORTED"
  | "PERMISSION_DENIED"
  | "CLOSED"
  | "WATCH_OVERFLOW"
  | "LATTICE_NOT_FOUND";

/** The base of every error lattice-cache throws on purpose. */
export class LatticeCacheError extends Error {
  readonly [MARKER] = true;
  /** A stable code: branch on this, not on the message. */
  readonly code: LatticeErrorCode;

  constructor(code: LatticeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any lattice-cache error, even one thrown by another copy of this package. */
  static isInstance(error: unknown): error is LatticeCacheError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }

  /** True when `error` is a lattice-cache error with the given code. */
  static hasCode<C extends LatticeErrorCode>(
    error: unknown,
    code: C,
  ): error is LatticeCacheError & { code: C } {
    return LatticeCacheError.isInstance(error) && error.code === code;
  }
}

/** A conditional write (rule 4) or an `update` (rule 5) found another revision than expected. Nothing was written. */
export class ConflictError extends LatticeCacheError {
  /** The storage key written. */
  readonly key: string;
  /** The revision the write required (`0` = must not exist). */
  readonly expectedRevision: number;
  /** The key's revision at the backend when the write was refused (`0` = missing or deleted), when known. */
  readonly currentRevision: number | undefined;
  /** For `update`: how many attempts were made before giving up. */
  readonly attempts: number | undefined;
  /**
   * True when the expected revision belongs to another history than the backend's (it was read before the
   * backend lost its history): no revision of the current history can match it; re-read after the replica
   * resynced (rule 4).
   */
  readonly otherHistory: boolean;

  constructor(args: {
    key: string;
    expectedRevision: number;
    currentRevision?: number;
    attempts?: number;
    otherHistory?: boolean;
  }) {
    const current = args.currentRevision === undefined ? "unknown" : String(args.currentRevision);
    const tail = args.attempts === undefined ? "" : ` after ${args.attempts} attempts`;
    const expected = args.otherHistory
      ? `expected revision ${args.expectedRevision} of a history the backend no longer has (it lost its history since)`
      : `expected revision ${args.expectedRevision}, current revision is ${current}`;
    super("CONFLICT", `conflict on ${shown(args.key)}: ${expected}${tail}`);
    this.key = args.key;
    this.expectedRevision = args.expectedRevision;
    this.currentRevision = args.currentRevision;
    this.attempts = args.attempts;
    this.otherHistory = args.otherHistory === true;
  }
}

/** A read came before the initial sync finished (rule 8): await `ready()` first. */
export class NotReadyError extends LatticeCacheError {
  constructor(message = "the cache has not finished its initial sync; await cache.ready() first") {
    super("NOT_READY", message);
  }
}

/**
 * The backend cannot be reached (rule 10). Nothing was written — except when the connection dropped after a
 * write was sent and before its acknowledgement arrived; then the message says the outcome is unknown.
 */
export class BackendUnavailableError extends LatticeCacheError {
  /** The backend's name, e.g. `jetstream`. */
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super("BACKEND_UNAVAILABLE", `${backend} backend unavailable: ${message}`, options);
    this.backend = backend;
  }
}

/** A value does not match its collection's schema (rule 11). */
export class InvalidEntryError extends LatticeCacheError {
  /** The storage key, when known. */
  readonly key: string | undefined;
  /** One line per problem, each naming the field. */
  readonly issues: readonly string[];
  constructor(issues: readonly string[], key?: string, options?: { cause?: unknown }) {
    super("INVALID_ENTRY", `invalid entry${key ? ` ${shown(key)}` : ""}: ${issues.join("; ")}`, options);
    this.key = key;
    this.issues = issues;
  }
}

/** A key is empty, malformed, or would break NATS subject rules. */
export class InvalidKeyError extends LatticeCacheError {
  /** The offending key or key part. */
  readonly key: string;
  /** Why it was refused. */
  readonly reason: string;
  constructor(key: string, reason: string) {
    super("INVALID_KEY", `invalid key ${JSON.stringify(shown(key))}: ${reason}`);
    this.key = key;
    this.reason = reason;
  }
}

/** An encoded value is larger than the configured maximum; nothing was sent. */
export class ValueTooLargeError extends LatticeCacheError {
  readonly key: string;
  readonly size: number;
  readonly limit: number;
  constructor(key: string, size: number, limit: number) {
    super("VALUE_TOO_LARGE", `value for ${shown(key)} is ${size} bytes, over the maximum of ${limit} bytes`);
    this.key = key;
    this.size = size;
    this.limit = limit;
  }
}

/** Bad configuration: names the field and, where it helps, the allowed values. */
export class ConfigurationError extends LatticeCacheError {
  /** The dotted path of the bad field, e.g. `nats.servers`. */
  readonly field: string | undefined;
  /** Allowed values, when the field is an enumeration. */
  readonly allowed: readonly string[] | undefined;
  constructor(message: string, details?: { field?: string; allowed?: readonly string[]; cause?: unknown }) {
    super("CONFIGURATION", message, { cause: details?.cause });
    this.field = details?.field;
    this.allowed = details?.allowed;
  }
}

/**
 * The lattice (its bucket, keys or schema) does not exist and may not be created here: a backend opened in
 * its "must exist" mode (`provision: "bind"`) found none, or a host refused to create one beside others.
 */
export class LatticeNotFoundError extends LatticeCacheError {
  /** The lattice prefix that was asked for. */
  readonly prefix: string;
  /** The lattices that exist on the same backend, when the thrower listed them. */
  readonly existing: readonly string[] | undefined;
  constructor(prefix: string, message: string, details?: { existing?: readonly string[]; cause?: unknown }) {
    super("LATTICE_NOT_FOUND", message, { cause: details?.cause });
    this.prefix = prefix;
    this.existing = details?.existing;
  }
}

/** The backend does not declare the capability an operation needs (e.g. compare-and-swap on the legacy broadcast). */
export class UnsupportedOperationError extends LatticeCacheError {
  /** The capability or operation that is missing. */
  readonly operation: string;
  constructor(operation: string, backend: string) {
    super("UNSUPPORTED", `${backend} backend does not support ${operation}`);
    this.operation = operation;
  }
}

/** The backend refused the operation for lack of permission (e.g. a read-only host writing). */
export class PermissionDeniedError extends LatticeCacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PERMISSION_DENIED", message, options);
  }
}

/** The cache (or backend) was closed. */
export class ClosedError extends LatticeCacheError {
  constructor(what = "the cache") {
    super("CLOSED", `${what} is closed`);
  }
}

/** A watcher fell too far behind and its buffer overflowed; re-list and watch again. */
export class WatchOverflowError extends LatticeCacheError {
  readonly limit: number;
  constructor(limit: number) {
    super(
      "WATCH_OVERFLOW",
      `watcher fell more than ${limit} events behind; re-read with list() and watch again`,
    );
    this.limit = limit;
  }
}
