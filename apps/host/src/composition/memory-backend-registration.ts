// The in-memory backend: process-local, one shared store per prefix, so several containers in one process
// form one lattice (handy for tests and demos; nothing survives the process).
import { MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { statusChannelContext } from "../audit/host-status-channel.js";
import { MemoryStatusBus } from "../audit/memory-status-bus.js";
import type { BackendRegistration } from "./backend-registry.js";

const stores = new Map<string, MemoryStore>();

/** `backend: memory`. */
export const memoryBackendRegistration: BackendRegistration = {
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
  statusBus: (config, container) =>
    new MemoryStatusBus(config.prefix, statusChannelContext(config, container)),
};
