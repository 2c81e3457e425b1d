// The reference target: core's MemoryStore/MemoryBackend with every backdoor switch.
import { ok } from "node:assert/strict";
import { MemoryBackend, MemoryStore } from "@lattice-cache/core";
import type { ConformanceStore, ConformanceTarget } from "./conformance-target.js";

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
      disconnect: async () => memory.disconnect(),
      reconnect: async () => memory.reconnect(),
      stallFeed: async (backend, stalled) => {
        ok(backend instanceof MemoryBackend, "stallFeed needs a MemoryBackend made by connect()");
        backend.stallFeed = stalled;
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
