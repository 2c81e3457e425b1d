// What the revision of the first write after a lost history must be, by what the backend declares
// (`BackendCapabilities.revisionsRestart`): the lost history's first revision again, or above all of it.
// Rules cited here: docs/semantics.md#rule-9.
import { AssertionError } from "node:assert/strict";

/** The lost history, as the test saw it before the loss. */
export interface LostHistory {
  /** The revision of its first write. */
  readonly first: number;
  /** The head revision it had reached. */
  readonly head: number;
}

/**
 * Asserts that `after`, the revision the first write after the loss got, is what `revisionsRestart` says:
 * `lost.first` again when the store's revisions restart, above `lost.head` when they continue. The failure
 * says which declaration the store's behaviour fits.
 */
export function expectRevisionAfterLoss(
  revisionsRestart: boolean,
  after: number,
  lost: LostHistory,
  what: string,
): void {
  if (revisionsRestart && after !== lost.first) {
    throw new AssertionError({
      message:
        `precondition: ${what} got revision ${after}, not the lost history's first revision ${lost.first} again: ` +
        "the backend declares revisionsRestart: true, but its revisions did not start over after the loss — " +
        "declare revisionsRestart: false if its revision counter continues (a counter shared with other data)",
    });
  }
  if (!revisionsRestart && after <= lost.head) {
    throw new AssertionError({
      message:
        `precondition: ${what} got revision ${after}, not one above the lost history's head ${lost.head}: ` +
        "the backend declares revisionsRestart: false, but its revisions started over after the loss — " +
        "declare revisionsRestart: true",
    });
  }
}
