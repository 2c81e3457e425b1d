// The fault switches of core's memory backend, for tests only (exported by `@lattice-cache/core/testing`): a
// partition, one cut connection, a stalled watch, a lost or restored history, a foreign writer's bytes. The
// shipped MemoryStore and MemoryBackend carry no switch: these reach their private state from the outside
// (bracket access is still type-checked, so a rename there breaks this at compile time).
import { randomUUID } from "node:crypto";
import type { MemoryBackend, MemoryStore } from "./memory-backend.js";

/** Simulates a partition: writes and head checks fail, feeds report disconnection and deliver nothing. */
export function disconnectStore(store: MemoryStore): void {
  setReachable(store, false);
}

/** Ends the partition {@link disconnectStore} began; feeds report reconnection and resume. */
export function reconnectStore(store: MemoryStore): void {
  setReachable(store, true);
}

/** Simulates a restart without persistence: everything is gone, revisions restart at 0, a new epoch. */
export function loseHistory(store: MemoryStore): void {
  store["entries"] = new Map();
  store["log"] = [];
  store["epochId"] = randomUUID();
}

/**
 * A backup of the store as it is now. The returned function restores it under the same epoch, as restoring
 * an older backup does: the revisions written since are reused by the next writes.
 */
export function checkpointStore(store: MemoryStore): () => void {
  const entries = new Map(store["entries"]);
  const length = store["log"].length;
  const epoch = store["epochId"];
  return () => {
    store["entries"] = new Map(entries);
    store["log"] = store["log"].slice(0, length);
    store["epochId"] = epoch;
  };
}

/**
 * Stores bytes as a foreign writer would (an old host, an operator's tool): no origin, no condition, no
 * validation. Returns the revision. Works during a partition (the writer is elsewhere).
 */
export function storeRaw(store: MemoryStore, key: string, value: Uint8Array | null): number {
  return store["append"](key, value, undefined).revision;
}

/** Cuts (`true`) or restores (`false`) one connection to the store, as a dropped TCP connection does. */
export function interruptConnection(backend: MemoryBackend, cut: boolean): void {
  if (backend["cut"] === cut) return;
  backend["cut"] = cut;
  for (const listener of backend["cutListeners"]) listener(cut);
}

/**
 * While `stalled`, the backend's live feed reads hang without a word (a silently stalled watch); a read
 * already hanging stays stuck until its feed closes, a feed started after `stallFeed(backend, false)` works.
 */
export function stallFeed(backend: MemoryBackend, stalled: boolean): void {
  backend["stalled"] = stalled;
}

function setReachable(store: MemoryStore, up: boolean): void {
  if (store["up"] === up) return;
  store["up"] = up;
  for (const listener of store["listeners"]) listener.connection(up);
}
