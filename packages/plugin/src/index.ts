// @lattice-cache/plugin — the contract between the `lattice` host and a backend plugin: the plugin type and
// its API version, the settings builder a backend's options schema is written with (also its host config
// section), doctor checks, and the status channel every host answers `lattice status --hosts` on.
// Doors: `.` (this), `./nats` (NATS connection settings and a status channel any plugin may use),
// `./memory` (the plugin of core's in-memory backend).

export {
  type BackendPlugin,
  checkBackendPlugin,
  defineBackendPlugin,
  type OpenFailure,
  PLUGIN_API_VERSION,
  type PluginConfig,
  type PluginHost,
  PluginLoadError,
  sectionsOf,
} from "./backend-plugin.js";
export type { CheckOutcome, DoctorCheck } from "./doctor-check.js";
export { type PluginHostConfig, provisionOf } from "./plugin-host-config.js";
export { HOST_RETRY_POLICY } from "./retry-policy.js";
export * from "./settings/config-section.js";
export * from "./settings/duration.js";
export * from "./settings/lattice-settings.js";
export * from "./settings/options-input.js";
export * from "./settings/secret-file.js";
export * from "./settings/setting.js";
export * from "./settings/setting-problem.js";
export * from "./settings/setting-types.js";
export * from "./status/host-states.js";
export * from "./status/host-status-report.js";
export * from "./status/status-bus.js";
export * from "./status/status-channel-context.js";
export * from "./status/status-intake.js";
export * from "./status/status-limits.js";
export * from "./status/status-rejections.js";
export * from "./status/status-request.js";
export * from "./status/status-responder.js";
export * from "./status/status-secret.js";
export * from "./status/status-signature.js";
