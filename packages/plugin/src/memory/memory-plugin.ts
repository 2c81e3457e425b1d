// `backend: memory` as a plugin: process-local, one shared store per prefix, so several hosts in one process
// form one lattice (handy for tests and demos; nothing survives the process). Core's memory backend depends
// on nothing, so its plugin lives here, beside the contract.
import { MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { defineBackendPlugin } from "../backend-plugin.js";
import { MemoryStatusBus } from "./memory-status-bus.js";

const stores = new Map<string, MemoryStore>();

/** `backend: memory`. */
export const memoryPlugin = defineBackendPlugin({
  name: "memory",
  description: "in-process memory (nothing shared between processes, nothing persisted)",
  create(config) {
    let store = stores.get(config.prefix);
    if (!store) {
      store = new MemoryStore();
      stores.set(config.prefix, store);
    }
    return new MemoryBackend(store);
  },
  target: (config) => `the in-process memory store for prefix ${config.prefix}`,
  statusBus: (config, host) => new MemoryStatusBus(config.prefix, host.statusChannel()),
});
