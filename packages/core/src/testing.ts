// @lattice-cache/core/testing — helpers for tests, never needed by a program that embeds the cache. The
// shipped classes carry no test seam: what a test must do to a replica, or to the memory backend (its fault
// switches: memory-faults.ts), is done here, from the outside.
import { entryHash } from "./digest.js";
import type { LatticeCache } from "./lattice-cache.js";

export {
  checkpointStore,
  disconnectStore,
  interruptConnection,
  loseHistory,
  reconnectStore,
  stallFeed,
  storeRaw,
} from "./memory-faults.js";

/**
 * Replaces the live value of `key` in `cache`'s replica without a write, to simulate a corrupted replica
 * (split-brain detection tests): the digest changes, the revision does not. Returns false when the key is
 * not live there.
 */
export function corruptReplica(cache: LatticeCache, key: string, value: unknown): boolean {
  // TypeScript's `private` still admits bracket access (type-checked, so a rename breaks this at compile time).
  const store = cache["replica"].store;
  const live = store["live"];
  const digest = store["digestSet"];
  const entry = live.get(key);
  if (!entry) return false;
  store.digest(); // hashes every entry not hashed yet, the replaced one included
  if (entry.hash) digest.toggle(entry.hash);
  const hash = entryHash(key, entry.revision, new TextEncoder().encode(JSON.stringify(value)));
  digest.toggle(hash);
  live.set(key, { ...entry, value, hash });
  return true;
}
