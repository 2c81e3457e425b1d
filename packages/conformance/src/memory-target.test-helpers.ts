// The reference target: core's MemoryStore/MemoryBackend with every fault switch core/testing has for it (a memory store
// has no silent partition, so no `blackhole`).
import { ok } from "node:assert/strict";
import { MemoryBackend, MemoryStore } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import {
  checkpointStore,
  disconnectStore,
  interruptConnection,
  loseHistory,
  reconnectStore,
  stallFeed,
  storeRaw,
} from "@lattice-cache/core/testing";
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
      loseHistory: async () => loseHistory(memory),
      checkpoint: async () => {
        const restore = checkpointStore(memory);
        return async () => restore();
      },
      storeRaw: async (key, value) => storeRaw(memory, key, value),
      // Synchronous up to the returned promise, as the backdoor requires: a feed sink may call it mid-delivery.
      interruptFeed: async (backend, cut) =>
        interruptConnection(memoryBackendOf(backend, "interruptFeed"), cut),
      disconnect: async () => disconnectStore(memory),
      reconnect: async () => reconnectStore(memory),
      stallFeed: async (backend, stalled) => {
        stallFeed(memoryBackendOf(backend, "stallFeed"), stalled);
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
