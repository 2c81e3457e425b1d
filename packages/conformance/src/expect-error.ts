// Assertions on the typed errors of @lattice-cache/core, by stable code (robust across duplicated installs).
import { AssertionError } from "node:assert/strict";
import { errorText, LatticeCacheError, type LatticeErrorCode } from "@lattice-cache/core";
import { withinDeadline } from "./eventually.js";

/**
 * Calls `action` (which may throw synchronously or return a promise) and returns the lattice-cache error
 * it failed with, asserting its code is one of `codes`. Fails when it succeeds or fails otherwise.
 */
export async function expectErrorCode(
  what: string,
  action: () => unknown,
  codes: LatticeErrorCode | readonly LatticeErrorCode[],
  deadlineMs?: number,
): Promise<LatticeCacheError> {
  const wanted: readonly LatticeErrorCode[] = typeof codes === "string" ? [codes] : codes;
  let outcome: { ok: true } | { ok: false; error: unknown };
  try {
    const result = action();
    const settled =
      deadlineMs === undefined ? result : withinDeadline(Promise.resolve(result), deadlineMs, what);
    await settled;
    outcome = { ok: true };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok) {
    throw new AssertionError({ message: `${what}: expected ${wanted.join(" or ")}, but it succeeded` });
  }
  const error = outcome.error;
  if (error instanceof AssertionError) throw error;
  if (!LatticeCacheError.isInstance(error) || !wanted.includes(error.code)) {
    throw new AssertionError({
      message: `${what}: expected ${wanted.join(" or ")}, got ${errorText(error)}`,
    });
  }
  return error;
}
