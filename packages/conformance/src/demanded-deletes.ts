// Which collections a backend must be able to delete from, by its capabilities. No capability names deletes:
// an ordered store deletes any key, while the only unordered source the contract knows — the generation-1
// broadcast — has a delete subject for link definitions only, so old hosts could never forget claims or
// reference maps. Tests that delete use a collection from this list and stay meaningful on both kinds.
// Rules cited here: docs/semantics.md#rule-6.
import { COLLECTION_NAMES, type CollectionName } from "@lattice-cache/core";
import type { BackendCapabilities } from "@lattice-cache/core/backend";

/** The only collection every backend must delete: generation 1's `linkdefs.del` exists, nothing else does. */
const ALWAYS_DELETABLE: readonly CollectionName[] = ["linkdefs"];

/**
 * The collections whose deletes the suite demands of a backend with `capabilities`: all three when it is
 * `ordered`, link definitions only when it is not. Deleting another collection on an unordered backend may
 * throw `UnsupportedOperationError` (checked by rule 6), but must never delete on one host only.
 */
export function demandedDeletes(capabilities: BackendCapabilities): readonly CollectionName[] {
  return capabilities.ordered ? COLLECTION_NAMES : ALWAYS_DELETABLE;
}
