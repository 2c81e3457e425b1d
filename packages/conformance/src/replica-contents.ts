// What a replica holds, in a comparable form, and the rule-2 check that replicas hold the same.
// Rules cited here: docs/semantics.md#rule-2, #rule-12.
import { AssertionError, deepStrictEqual } from "node:assert/strict";
import { COLLECTION_NAMES, type LatticeCache } from "@lattice-cache/core";

/** One live entry of a replica, comparable across replicas. */
export interface ReplicaItem {
  readonly key: string;
  readonly revision: number;
  readonly value: unknown;
}

/** Every live entry of `cache` across the three collections, sorted by key. */
export function replicaContents(cache: LatticeCache): ReplicaItem[] {
  const items: ReplicaItem[] = [];
  for (const name of COLLECTION_NAMES) {
    for (const e of cache[name].entries()) items.push({ key: e.key, revision: e.revision, value: e.value });
  }
  return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One live entry of a replica without its revision: what replicas of an unordered backend can agree on. */
export interface ReplicaValue {
  readonly key: string;
  readonly value: unknown;
}

/**
 * Every live entry of `cache`, sorted by key, without revisions. An unordered backend's revisions are local
 * arrival counters (rule 12), so across its hosts only keys and values are comparable — and so is no digest,
 * which hashes revisions.
 */
export function replicaValues(cache: LatticeCache): ReplicaValue[] {
  return replicaContents(cache).map(({ key, value }) => ({ key, value }));
}

/** Rule 2: asserts all `caches` report the same digest and hold the same entries (keys, revisions, values). */
export function expectSameReplicas(caches: readonly LatticeCache[], context: string): void {
  const [first, ...rest] = caches;
  if (!first) return;
  const expected = replicaContents(first);
  const expectedDigest = first.status().digest;
  for (const other of rest) {
    deepStrictEqual(
      replicaContents(other),
      expected,
      `${context}: ${other.hostId} holds different entries than ${first.hostId}`,
    );
    const digest = other.status().digest;
    if (digest !== expectedDigest) {
      throw new AssertionError({
        message: `${context}: ${other.hostId} reports digest ${digest}, ${first.hostId} reports ${expectedDigest} with the same entries`,
      });
    }
  }
}
