// The codec of each collection, by name (core keeps its own map private to the replica).
import {
  type CollectionCodec,
  type CollectionName,
  claimsCodec,
  linkdefsCodec,
  refmapsCodec,
} from "@lattice-cache/core";

/** The codec of each collection. */
export const COLLECTION_CODECS: { readonly [C in CollectionName]: CollectionCodec<unknown, unknown> } = {
  linkdefs: linkdefsCodec as CollectionCodec<unknown, unknown>,
  claims: claimsCodec as CollectionCodec<unknown, unknown>,
  refmaps: refmapsCodec as CollectionCodec<unknown, unknown>,
};
