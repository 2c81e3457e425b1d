// The reference target: core's MemoryStore/MemoryBackend with every backdoor switch it has (a memory store
// has no silent partition, so no `blackhole`).
import { ok } from "node:assert/strict";
import { type LatticeBackend, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import type { ConformanceStore, ConformanceTarget } from "./conformance-target.js";

function memoryBackendOf(backend: LatticeBackend, what: string): MemoryBackend {
  ok(backend instanceof MemoryBackend, `${what} needs a MemoryBackend made by connect()`);
  return backend;
}

/** A fresh `MemoryStore` behind every `newStore()`; its backdoor reads the store's entries directly. */
export function memoryStore(): ConformanceStore & { readonly memory: MemoryStore } {
  const memory = new MemoryStore();
  return {
    memory,
    connect: () => new MemoryBackend(memory),
    backdoor: {
      readRaw: async (key) => {
        const entry = memory.read(key);
        return entry && { value: entry.value, revision: entry.revision };
      },
      loseHistory: async () => memory.loseHistory(),
      checkpoint: async () => {
        const restore = memory.checkpoint();
        return async () => restore();
      },
      storeRaw: async (key, value) => memory.storeRaw(key, value),
      // Synchronous up to the returned promise, as the backdoor requires: a feed sink may call it mid-delivery.
      interruptFeed: async (backend, cut) => memoryBackendOf(backend, "interruptFeed").interrupt(cut),
      disconnect: async () => memory.disconnect(),
      reconnect: async () => memory.reconnect(),
      stallFeed: async (backend, stalled) => {
        memoryBackendOf(backend, "stallFeed").stallFeed = stalled;
      },
    },
    dispose: async () => {},
  };
}

/** The memory conformance target. */
export const memoryTarget: ConformanceTarget = {
  name: "memory",
  newStore: async () => memoryStore(),
};
