// @lattice-cache/plugin/nats — NATS for plugins: the `nats` connection settings (servers, credentials, TLS
// files), the one conversion of them into nats.js options, and the NATS status channel any backend's plugin
// may use for `lattice status --hosts` (wasmCloud hosts always have NATS).

export * from "./nats-client-options.js";
export * from "./nats-connection-options.js";
export * from "./nats-settings.js";
export * from "./nats-status-bus.js";
