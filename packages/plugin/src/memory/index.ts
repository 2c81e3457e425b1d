// @lattice-cache/plugin/memory — the plugin of core's in-memory backend and its in-process status channel.

export { memoryPlugin } from "./memory-plugin.js";
export { MemoryStatusBus } from "./memory-status-bus.js";
