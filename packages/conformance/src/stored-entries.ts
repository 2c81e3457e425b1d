// Reading what a store really holds through the backdoor, and comparing it with what replicas serve.
import { AssertionError, deepStrictEqual } from "node:assert/strict";
import { type CacheEntry, collectionOfKey, type LatticeCache } from "@lattice-cache/core";
import type { ConformanceBackdoor } from "./conformance-target.js";
import type { ReplicaItem } from "./replica-contents.js";

/** A stored entry with its bytes parsed as JSON (`json === null` for a tombstone). */
export interface StoredJson {
  readonly revision: number;
  readonly json: unknown;
  readonly deleted: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes as a plain `Uint8Array` (a `Buffer` from a Redis client compares unequal to one otherwise). */
export function plainBytes(value: Uint8Array | null): Uint8Array | null {
  return value === null ? null : new Uint8Array(value);
}

/** The raw entry under `key` with plain bytes, for exact comparisons; undefined when nothing is stored. */
export async function readRawPlain(
  backdoor: ConformanceBackdoor,
  key: string,
): Promise<{ value: Uint8Array | null; revision: number } | undefined> {
  const raw = await backdoor.readRaw(key);
  return raw && { value: plainBytes(raw.value), revision: raw.revision };
}

/** The stored entry under `key` with its value parsed as JSON; undefined when the store holds nothing. */
export async function readStoredJson(
  backdoor: ConformanceBackdoor,
  key: string,
): Promise<StoredJson | undefined> {
  const raw = await backdoor.readRaw(key);
  if (raw === undefined) return undefined;
  if (!Number.isSafeInteger(raw.revision) || raw.revision <= 0) {
    throw new AssertionError({
      message: `backdoor: ${key} is stored with revision ${raw.revision}, not a positive integer`,
    });
  }
  if (raw.value === null) return { revision: raw.revision, json: null, deleted: true };
  let text: string;
  try {
    text = utf8.decode(raw.value);
  } catch {
    throw new AssertionError({ message: `backdoor: the bytes stored under ${key} are not UTF-8` });
  }
  try {
    return { revision: raw.revision, json: JSON.parse(text), deleted: false };
  } catch {
    throw new AssertionError({
      message: `backdoor: the bytes stored under ${key} are not JSON: ${text.slice(0, 200)}`,
    });
  }
}

/** Asserts the store holds a live JSON value under `key` and returns it. */
export async function expectStoredLive(backdoor: ConformanceBackdoor, key: string): Promise<StoredJson> {
  const stored = await readStoredJson(backdoor, key);
  if (stored === undefined || stored.deleted) {
    throw new AssertionError({
      message: `backdoor: expected a live value under ${key}, found ${stored ? "a tombstone" : "nothing"}`,
    });
  }
  return stored;
}

/** Asserts the store holds no live value under `key` (a tombstone or nothing) and returns what it holds. */
export async function expectStoredDeleted(
  backdoor: ConformanceBackdoor,
  key: string,
): Promise<StoredJson | undefined> {
  const stored = await readStoredJson(backdoor, key);
  if (stored !== undefined && !stored.deleted) {
    throw new AssertionError({
      message: `backdoor: expected ${key} deleted (tombstone or absent), but it holds ${JSON.stringify(stored.json)} at revision ${stored.revision}`,
    });
  }
  return stored;
}

/** The entry a cache serves under a storage key, whatever its collection. */
export function cacheEntryByKey(cache: LatticeCache, key: string): CacheEntry<unknown> | undefined {
  const collection = collectionOfKey(key);
  if (collection === undefined) return undefined;
  return cache[collection].entryByKey(key);
}

/** How `expectReplicaMatchesStore` compares. */
export interface StoreMatchOptions {
  /**
   * Compare revisions too. Default true; pass false for an unordered backend, whose replicas stamp
   * entries with local revisions that the store (a broadcast) does not share.
   */
  readonly revisions?: boolean;
}

/** Asserts `cache` serves exactly what the store holds under each of `keys` (value, and revision unless told not to). */
export async function expectReplicaMatchesStore(
  cache: LatticeCache,
  backdoor: ConformanceBackdoor,
  keys: Iterable<string>,
  options: StoreMatchOptions = {},
): Promise<void> {
  await expectServedMatchesStore(cache.hostId, (key) => cacheEntryByKey(cache, key), backdoor, keys, options);
}

/**
 * Asserts that `held` — what a replica held at one moment, taken with `replicaContents` — is exactly what the
 * store holds now under each of `keys`: for a view that must be checked as it was, not as the replica may
 * have healed it since.
 */
export async function expectHeldMatchesStore(
  who: string,
  held: readonly ReplicaItem[],
  backdoor: ConformanceBackdoor,
  keys: Iterable<string>,
  options: StoreMatchOptions = {},
): Promise<void> {
  const byKey = new Map(held.map((item) => [item.key, item]));
  await expectServedMatchesStore(who, (key) => byKey.get(key), backdoor, keys, options);
}

async function expectServedMatchesStore(
  who: string,
  servedOf: (key: string) => { readonly revision: number; readonly value: unknown } | undefined,
  backdoor: ConformanceBackdoor,
  keys: Iterable<string>,
  { revisions = true }: StoreMatchOptions,
): Promise<void> {
  for (const key of keys) {
    const stored = await readStoredJson(backdoor, key);
    const served = servedOf(key);
    if (stored === undefined || stored.deleted) {
      if (served !== undefined) {
        throw new AssertionError({
          message: `${who} serves ${key} at revision ${served.revision}, but the store holds ${stored ? "a tombstone" : "nothing"}`,
        });
      }
      continue;
    }
    if (served === undefined) {
      throw new AssertionError({
        message: `${who} does not serve ${key}, but the store holds it at revision ${stored.revision}`,
      });
    }
    deepStrictEqual(
      revisions ? { revision: served.revision, value: served.value } : { value: served.value },
      revisions ? { revision: stored.revision, value: stored.json } : { value: stored.json },
      `${who} serves ${key} differently from what the store holds`,
    );
  }
}
