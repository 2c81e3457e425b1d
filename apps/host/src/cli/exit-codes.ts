// What `lattice` exit codes mean, and which error maps to which.
import { LatticeCacheError } from "@lattice-cache/core";
import { CommanderError } from "commander";
import { EntryNotFoundError, FleetMismatchError, SplitBrainError, UsageError } from "./cli-errors.js";

/** Exit codes of the `lattice` command. */
export const EXIT_CODES = {
  /** Done. */
  success: 0,
  /** An operational error: unreachable backend, NATS without JetStream, timeout, conflict, a failed doctor check. */
  failure: 1,
  /** Bad usage: unknown command or option, missing argument, invalid configuration or input. */
  usage: 2,
  /** The requested entry does not exist, or the lattice itself does not (and was not created). */
  notFound: 3,
  /** `status --hosts` found split brain: hosts at the same revision with different digests. */
  splitBrain: 4,
  /** `status --hosts` heard another fleet than expected (`--expect`, `--expect-hosts`) or a host id twice. */
  fleetMismatch: 5,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

// Input the user can fix on the command line; VALUE_TOO_LARGE is refused before anything is sent.
const USAGE_CODES = new Set(["CONFIGURATION", "INVALID_KEY", "INVALID_ENTRY", "VALUE_TOO_LARGE"]);
const HELP_CODES = new Set(["commander.helpDisplayed", "commander.help", "commander.version"]);

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CommanderError)
    return HELP_CODES.has(error.code) ? EXIT_CODES.success : EXIT_CODES.usage;
  if (error instanceof EntryNotFoundError) return EXIT_CODES.notFound;
  if (LatticeCacheError.hasCode(error, "LATTICE_NOT_FOUND")) return EXIT_CODES.notFound;
  if (error instanceof SplitBrainError) return EXIT_CODES.splitBrain;
  if (error instanceof FleetMismatchError) return EXIT_CODES.fleetMismatch;
  if (error instanceof UsageError) return EXIT_CODES.usage;
  if (LatticeCacheError.isInstance(error) && USAGE_CODES.has(error.code)) return EXIT_CODES.usage;
  return EXIT_CODES.failure;
}
