// `backend: jetstream` — the default: NATS JetStream KV bucket LATTICEDATA_{prefix}. Its settings are the
// `nats` section below: how to reach NATS (shared with the legacy backend), the JetStream domain, the bucket.
import { redactUrl } from "@lattice-cache/core";
import {
  JETSTREAM_DEFAULTS,
  JetStreamBackend,
  type JetStreamBackendOptions,
  listJetStreamLattices,
} from "@lattice-cache/jetstream";
import {
  choice,
  configSection,
  defineBackendPlugin,
  integer,
  PREFIX_TEXT as NAME_TEXT,
  type PluginConfig,
  type PluginHost,
  provisionOf,
  setting,
  settingGroup,
  text,
} from "@lattice-cache/plugin";
import { NATS_CONNECTION_SETTINGS, NatsStatusBus, natsAuth } from "@lattice-cache/plugin/nats";
import { MAX_VALUE_BYTES_CEILING } from "../config/core-settings.js";
import { diagnoseJetStream } from "../doctor/jetstream-checks.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The jetstream backend's settings: `nats.*`, each with its default, validation, env variable and flag. */
export const jetstreamConfigSection = configSection("nats", {
  ...NATS_CONNECTION_SETTINGS,
  jsDomain: setting(text(NAME_TEXT).optional(), {
    description: "JetStream domain (leaf nodes, superclusters)",
    env: "LATTICE_JS_DOMAIN",
    envFallbacks: ["WASMCLOUD_JS_DOMAIN"],
    flag: "--js-domain <domain>",
  }),
  provision: setting(choice(["create", "bind"]).default(JETSTREAM_DEFAULTS.provision), {
    description:
      "create the bucket when it is missing (as createLattice allows), or only bind to an existing one",
    env: "LATTICE_NATS_PROVISION",
  }),
  bucket: settingGroup({
    history: setting(integer(1, 64).default(JETSTREAM_DEFAULTS.bucket.history), {
      description: "values kept per key of a bucket the host creates",
      env: "LATTICE_BUCKET_HISTORY",
    }),
    replicas: setting(integer(1, 5).default(JETSTREAM_DEFAULTS.bucket.replicas), {
      description: "stream replicas of a bucket the host creates (3 advised for production)",
      env: "LATTICE_BUCKET_REPLICAS",
    }),
    storage: setting(choice(["file", "memory"]).default(JETSTREAM_DEFAULTS.bucket.storage), {
      description: "stream storage of a bucket the host creates",
      env: "LATTICE_BUCKET_STORAGE",
    }),
    maxValueSize: setting(integer(1, MAX_VALUE_BYTES_CEILING).optional(), {
      description: "largest value a bucket the host creates accepts, in bytes",
      defaultText: `backend default (${JETSTREAM_DEFAULTS.bucket.maxValueSize} bytes)`,
    }),
  }),
});

/** The configuration the jetstream backend reads. */
export type JetStreamConfig = PluginConfig<typeof jetstreamConfigSection>;

/** The jetstream backend's options from the host's configuration. */
export function jetstreamOptions(config: JetStreamConfig, host: PluginHost): JetStreamBackendOptions {
  const nats = config.nats;
  return {
    servers: nats.servers,
    prefix: config.prefix,
    hostId: config.hostId,
    jsDomain: nats.jsDomain,
    // Either setting may forbid creating the bucket: nats.provision (this backend's) or createLattice.
    provision: nats.provision === "bind" ? "bind" : provisionOf(config),
    bucket: { ...nats.bucket },
    auth: natsAuth(nats.auth),
    tls: nats.tls,
    openTimeoutMs: config.connectTimeoutMs,
    logger: host.logger,
  };
}

/** `backend: jetstream`. */
export const jetstreamBackendRegistration = defineBackendPlugin<JetStreamConfig>({
  name: "jetstream",
  description: "NATS JetStream KV bucket LATTICEDATA_{prefix} (the default; what wasmCloud hosts use)",
  config: jetstreamConfigSection,
  create: (config, host) => new JetStreamBackend(jetstreamOptions(config, host)),
  target: (config) => `NATS at ${config.nats.servers.map(redactUrl).join(",")}`,
  lattices: (config, host) => listJetStreamLattices(jetstreamOptions(config, host)),
  diagnose: (config, host) => diagnoseJetStream(jetstreamOptions(config, host)),
  statusBus: (config, host) => new NatsStatusBus(config, host.statusChannel()),
});
