// `lattice doctor`'s check that the configured lattice exists (it never creates one: a typo in the prefix
// must not pass as an empty lattice).
import { LatticeCacheError } from "@lattice-cache/core";
import type { DoctorCheck } from "@lattice-cache/plugin";
import { assertLatticeExists, type LatticeCreationContext } from "../composition/lattice-creation.js";

/** What to do about a lattice that does not exist. */
export const MISSING_LATTICE_FIX =
  "check --prefix (LATTICE_PREFIX, prefix:); a new lattice is created by `lattice host` or a write " +
  "command, as createLattice allows (doctor never creates one)";

/**
 * `lattice` passes when the backend lists the configured lattice, fails (naming the closest existing one)
 * when it does not. No check when the backend cannot list its lattices or cannot be reached (the other
 * checks say why).
 */
export async function latticeCheck(context: LatticeCreationContext): Promise<DoctorCheck[]> {
  const { prefix } = context.config;
  try {
    if ((await context.list()) === undefined) return [];
    await assertLatticeExists(context);
    return [{ name: "lattice", outcome: "pass", detail: `lattice ${JSON.stringify(prefix)} exists` }];
  } catch (error) {
    if (!LatticeCacheError.hasCode(error, "LATTICE_NOT_FOUND")) return [];
    return [
      {
        name: "lattice",
        outcome: "fail",
        detail: error.message,
        fix: MISSING_LATTICE_FIX,
      },
    ];
  }
}
