// Errors the CLI itself raises; each maps to one exit code (see exit-codes.ts).

/** The entry a command asked for does not exist (exit code 3). */
export class EntryNotFoundError extends Error {
  constructor(
    /** The collection searched. */
    readonly collection: string,
    /** How the entry was named on the command line. */
    readonly what: string,
  ) {
    super(`no ${collection} entry ${what}`);
    this.name = "EntryNotFoundError";
  }
}

/** The command line or an input file is wrong in a way commander cannot see (exit code 2). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** An operational failure with a message already phrased for the user (exit code 1). */
export class OperationalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OperationalError";
  }
}

/** The cross-host audit found hosts at the same revision with different digests (exit code 4). */
export class SplitBrainError extends Error {
  constructor(
    message: string,
    /** The hosts involved, sorted. */
    readonly hostIds: readonly string[],
  ) {
    super(message);
    this.name = "SplitBrainError";
  }
}

/**
 * `status --hosts` heard another fleet than expected: fewer or more hosts, an expected host missing, an
 * unexpected one, or two answers under one host id (exit code 5).
 */
export class FleetMismatchError extends Error {
  constructor(
    message: string,
    /** The expected hosts that did not answer, sorted. */
    readonly missing: readonly string[],
    /** The hosts that answered unexpected, sorted. */
    readonly unexpected: readonly string[],
    /** The host ids more than one host answered under, sorted. */
    readonly duplicated: readonly string[],
  ) {
    super(message);
    this.name = "FleetMismatchError";
  }
}
