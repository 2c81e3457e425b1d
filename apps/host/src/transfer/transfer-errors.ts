// The typed errors of export, import and copy; each is one of the CLI's (cli-errors.ts), so its exit code
// follows (exit-codes.ts): a bad file is bad input (2), the rest operational failures (1).
import { OperationalError, UsageError } from "../cli/cli-errors.js";
import type { LineProblem } from "./transfer-format.js";

/** The backend's feed broke its history (a `gap`) on every attempt to take a snapshot (exit code 1). */
export class SnapshotGapError extends OperationalError {
  readonly code = "SNAPSHOT_GAP";
  constructor(
    /** Attempts made. */
    readonly attempts: number,
    /** The last gap's reason, as the backend gave it. */
    readonly reason: string,
  ) {
    super(
      `the backend's history changed during each of ${attempts} attempts to take a snapshot (${reason}); ` +
        "nothing was exported — run again once it is stable",
    );
    this.name = "SnapshotGapError";
  }
}

/** The backend sent nothing for too long while a snapshot was being taken (exit code 1). */
export class SnapshotStalledError extends OperationalError {
  readonly code = "SNAPSHOT_STALLED";
  constructor(
    /** The silence that ended it, in ms. */
    readonly idleMs: number,
    /** Changes received before. */
    readonly received: number,
  ) {
    super(
      `the backend delivered nothing for ${idleMs} ms while the snapshot was taken (${received} changes ` +
        "received, no end of the snapshot); raise --ready-timeout or check the backend with `lattice doctor`",
    );
    this.name = "SnapshotStalledError";
  }
}

/** An export file that cannot be imported: every problem with its line number; nothing was written (exit 2). */
export class TransferFileError extends UsageError {
  readonly code = "BAD_EXPORT_FILE";
  constructor(
    /** The file, as named on the command line. */
    readonly file: string,
    /** Every problem found, in line order. */
    readonly problems: readonly LineProblem[],
  ) {
    const n = problems.length;
    super(`${n} problem${n === 1 ? "" : "s"} in ${file} (above); nothing was written`);
    this.name = "TransferFileError";
  }
}

/** After a copy, the target's content digest is not the source's (exit code 1). */
export class CopyVerifyError extends OperationalError {
  readonly code = "COPY_VERIFY_MISMATCH";
  constructor(
    readonly sourceDigest: string,
    readonly targetDigest: string,
    readonly sourceEntries: number,
    readonly targetEntries: number,
  ) {
    const extra =
      targetEntries > sourceEntries
        ? ` — the target holds ${targetEntries - sourceEntries} more entries than the source (--mode replace deletes them)`
        : "";
    super(
      `verify failed: the target's content digest ${targetDigest} (${targetEntries} entries) is not the ` +
        `source's ${sourceDigest} (${sourceEntries} entries)${extra}; another writer may have changed it`,
    );
    this.name = "CopyVerifyError";
  }
}
