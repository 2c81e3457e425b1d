// Values the suite writes, and a small key space over all three collections for the property tests.
import type {
  CacheEntry,
  ClaimsInput,
  CollectionName,
  LatticeCache,
  LinkDefinitionInput,
  LinkDefinitionRef,
  OciReferenceMap,
  UpdateOutcome,
  WriteOutcome,
} from "@lattice-cache/core";
import { wireClaimsKey, wireLinkdefKey, wireRefmapKey } from "./wire-keys.js";

/** The contract every sample link definition uses. */
export const SAMPLE_CONTRACT = "wasmcloud:keyvalue";

/** A link definition of `actor` with `values`. */
export function sampleLinkdef(actor: string, values: Record<string, string> = {}): LinkDefinitionInput {
  return { actor_id: actor, provider_id: "VPROVIDERKV", contract_id: SAMPLE_CONTRACT, values };
}

/** The natural key of `sampleLinkdef(actor)`. */
export function sampleLinkdefRef(actor: string): LinkDefinitionRef {
  return { actor_id: actor, contract_id: SAMPLE_CONTRACT };
}

/** Claims of `sub` named `name`. */
export function sampleClaims(sub: string, name = "module"): ClaimsInput {
  return { sub, name, iss: "ACCOUNTISSUER", version: "0.1.0", caps: [SAMPLE_CONTRACT], tags: [] };
}

/** A reference map from `url` to `publicKey`. */
export function sampleRefmap(url: string, publicKey = "MPUBLICKEY"): OciReferenceMap {
  return { oci_url: url, public_key: publicKey };
}

/**
 * One key of the property-test key space, with the operations a random op sequence may run on it. Values
 * carry a small counter so `update` can increment it.
 */
export interface KeySlot {
  /** The collection the key belongs to. */
  readonly collection: CollectionName;
  /** The storage key (computed from the wire layout). */
  readonly key: string;
  /** Unconditional or conditional put of a value derived from `n`. */
  put(cache: LatticeCache, n: number, expectedRevision?: number): Promise<WriteOutcome>;
  /** Unconditional or conditional delete. */
  remove(cache: LatticeCache, expectedRevision?: number): Promise<WriteOutcome>;
  /** `update` that increments the counter (creates the key at 1). */
  increment(cache: LatticeCache): Promise<UpdateOutcome<unknown>>;
  /** The entry as `cache` holds it. */
  entry(cache: LatticeCache): CacheEntry<unknown> | undefined;
  /** The counter of `cache`'s value, or undefined when the key is absent. */
  counter(cache: LatticeCache): number | undefined;
  /** The value `put(…, n)` writes, normalized by `cache`'s codec (what watchers and reads report). */
  normalized(cache: LatticeCache, n: number): unknown;
}

function linkdefSlot(actor: string): KeySlot {
  const ref = sampleLinkdefRef(actor);
  const value = (n: number) => sampleLinkdef(actor, { n: String(n) });
  return {
    collection: "linkdefs",
    key: wireLinkdefKey(actor, SAMPLE_CONTRACT),
    put: (cache, n, expectedRevision) => cache.linkdefs.put(value(n), { expectedRevision }),
    remove: (cache, expectedRevision) => cache.linkdefs.delete(ref, { expectedRevision }),
    increment: (cache) =>
      cache.linkdefs.update(ref, (current) => value(Number(current?.values.n ?? "0") + 1)),
    entry: (cache) => cache.linkdefs.getEntry(ref),
    counter: (cache) => {
      const current = cache.linkdefs.get(ref);
      return current === undefined ? undefined : Number(current.values.n);
    },
    normalized: (cache, n) => cache.linkdefs.normalize(value(n)),
  };
}

function claimsSlot(sub: string): KeySlot {
  const value = (n: number) => sampleClaims(sub, `n${n}`);
  const counterOf = (name: string | undefined) => (name === undefined ? undefined : Number(name.slice(1)));
  return {
    collection: "claims",
    key: wireClaimsKey(sub),
    put: (cache, n, expectedRevision) => cache.claims.put(value(n), { expectedRevision }),
    remove: (cache, expectedRevision) => cache.claims.delete(sub, { expectedRevision }),
    increment: (cache) => cache.claims.update(sub, (current) => value((counterOf(current?.name) ?? 0) + 1)),
    entry: (cache) => cache.claims.getEntry(sub),
    counter: (cache) => counterOf(cache.claims.get(sub)?.name),
    normalized: (cache, n) => cache.claims.normalize(value(n)),
  };
}

function refmapSlot(url: string): KeySlot {
  const value = (n: number) => sampleRefmap(url, `MPK${n}`);
  const counterOf = (pk: string | undefined) => (pk === undefined ? undefined : Number(pk.slice(3)));
  return {
    collection: "refmaps",
    key: wireRefmapKey(url),
    put: (cache, n, expectedRevision) => cache.refmaps.put(value(n), { expectedRevision }),
    remove: (cache, expectedRevision) => cache.refmaps.delete(url, { expectedRevision }),
    increment: (cache) =>
      cache.refmaps.update(url, (current) => value((counterOf(current?.public_key) ?? 0) + 1)),
    entry: (cache) => cache.refmaps.getEntry(url),
    counter: (cache) => counterOf(cache.refmaps.get(url)?.public_key),
    normalized: (cache, n) => cache.refmaps.normalize(value(n)),
  };
}

/** Six keys: two per collection (one link definition with a non-default link name would need its own ref). */
export function sampleKeySpace(): readonly KeySlot[] {
  return [
    linkdefSlot("MACTORZERO"),
    linkdefSlot("MACTORONE"),
    claimsSlot("MMODULEZERO"),
    claimsSlot("MMODULEONE"),
    refmapSlot("registry.example/app:0.1.0"),
    refmapSlot("registry.example/other:1"),
  ];
}

/** One slot by kind, for tests that need a single key of a given collection. */
export const slotOf = {
  linkdef: linkdefSlot,
  claims: claimsSlot,
  refmap: refmapSlot,
} as const;
