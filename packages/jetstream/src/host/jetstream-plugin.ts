// `backend: jetstream` — the default: NATS JetStream KV bucket LATTICEDATA_{prefix}. Its settings are the
// `nats` section: the backend's own option schemas for how to reach NATS (shared with the legacy backend),
// the JetStream domain and the bucket. Whether a missing bucket is created is the host's `createLattice`.
import { redactUrl } from "@lattice-cache/core";
import {
  defineBackendPlugin,
  type OpenFailure,
  type PluginConfig,
  type PluginHost,
  provisionOf,
} from "@lattice-cache/plugin";
import { NatsStatusBus } from "@lattice-cache/plugin/nats";
import { JetStreamBackend } from "../jetstream-backend.js";
import { JetStreamNotEnabledError } from "../jetstream-not-enabled-error.js";
import { listJetStreamLattices } from "../lattice-listing.js";
import { JETSTREAM_SETTINGS, type JetStreamBackendOptions, jetstreamConfigSection } from "../options.js";
import { diagnoseJetStream } from "./jetstream-checks.js";

/** The configuration the jetstream plugin reads. */
export type JetStreamConfig = PluginConfig<typeof jetstreamConfigSection>;

const SETTING_NAMES = Object.keys(JETSTREAM_SETTINGS) as (keyof typeof JETSTREAM_SETTINGS)[];

/**
 * The backend's options from a host's configuration: its `nats` settings (only the backend's: another plugin
 * may add its own to the section), the host's prefix, id and open deadline, and `provision` from
 * `createLattice` (`never` binds to an existing bucket).
 */
export function jetstreamOptions(config: JetStreamConfig, host: PluginHost): JetStreamBackendOptions {
  const nats = Object.fromEntries(SETTING_NAMES.map((name) => [name, config.nats[name]]));
  return {
    ...nats,
    prefix: config.prefix,
    hostId: config.hostId,
    provision: provisionOf(config),
    openTimeoutMs: config.connectTimeoutMs,
    logger: host.logger,
  };
}

/** "No JetStream here" in the host's words: what is wrong, and the server setting that fixes it. */
function describeOpenFailure(error: unknown): OpenFailure | undefined {
  if (!(error instanceof JetStreamNotEnabledError)) return undefined;
  return { message: error.problem, fix: error.fix };
}

/** `backend: jetstream`. */
export const jetstreamPlugin = defineBackendPlugin<JetStreamConfig>({
  name: "jetstream",
  description: "NATS JetStream KV bucket LATTICEDATA_{prefix} (the default; what wasmCloud hosts use)",
  config: jetstreamConfigSection,
  create: (config, host) => new JetStreamBackend(jetstreamOptions(config, host)),
  target: (config) => `NATS at ${config.nats.servers.map(redactUrl).join(",")}`,
  lattices: (config, host) => listJetStreamLattices(jetstreamOptions(config, host)),
  diagnose: (config, host) => diagnoseJetStream(jetstreamOptions(config, host)),
  statusBus: (config, host) => new NatsStatusBus(config, host.statusChannel()),
  describeOpenFailure,
});
