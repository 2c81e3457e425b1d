// The change events a replica emits to watchers.
import type { Claims } from "./claims.js";
import type { CollectionName } from "./keys.js";
import type { LinkDefinition } from "./linkdefs.js";
import type { OciReferenceMap } from "./refmaps.js";

/** The value type of each collection. */
export interface CollectionValues {
  linkdefs: LinkDefinition;
  claims: Claims;
  refmaps: OciReferenceMap;
}

/** One applied change, with the value before it. */
export interface ChangeEvent<C extends CollectionName = CollectionName> {
  /** The collection changed. */
  readonly collection: C;
  /** Storage key, e.g. `CLAIMS_M…`. */
  readonly key: string;
  /** `put` (created or replaced) or `delete`. */
  readonly operation: "put" | "delete";
  /** The new value (`undefined` for a delete). */
  readonly value: CollectionValues[C] | undefined;
  /** The value before this change (`undefined` if there was none). */
  readonly previous: CollectionValues[C] | undefined;
  /** The revision of this change. */
  readonly revision: number;
  /** The host that wrote it, when known. */
  readonly origin: string | undefined;
}

/** A change to any collection, discriminated by `collection`. */
export type LatticeChange = { [C in CollectionName]: ChangeEvent<C> }[CollectionName];
