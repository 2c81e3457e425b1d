import { silentLogger } from "@lattice-cache/core/backend";
import { mergeSections, type PluginHost } from "@lattice-cache/plugin";
import { NATS_CONNECTION_SETTINGS } from "@lattice-cache/plugin/nats";
import { describe, expect, it } from "vitest";
import { JetStreamNotEnabledError } from "../jetstream-not-enabled-error.js";
import { JETSTREAM_OPTIONS, JETSTREAM_SETTINGS } from "../options.js";
import { type JetStreamConfig, jetstreamOptions, jetstreamPlugin } from "./jetstream-plugin.js";

const host: PluginHost = {
  logger: silentLogger,
  statusChannel: () => {
    throw new Error("not needed here");
  },
};

/** A host's validated configuration, as `lattice` hands it to the plugin. */
function hostConfig(overrides: Partial<JetStreamConfig> = {}): JetStreamConfig {
  return {
    backend: "jetstream",
    prefix: "east",
    hostId: "host-1",
    createLattice: "auto",
    connectTimeoutMs: 4000,
    status: {},
    nats: {
      servers: ["nats://n1:4222", "nats://n2:4222"],
      auth: { token: "s3cret-token" },
      tls: undefined,
      jsDomain: "hub",
      bucket: { history: 1, replicas: 3, storage: "file", maxValueSize: 1024 },
    },
    ...overrides,
  };
}

describe("the jetstream plugin", () => {
  it("its config section `nats` is the backend's own option schemas, the very same objects", () => {
    const section = jetstreamPlugin.config;
    expect(section?.key).toBe("nats");
    for (const [name, schema] of Object.entries(section?.settings ?? {})) {
      expect(schema, name).toBe(JETSTREAM_SETTINGS[name as keyof typeof JETSTREAM_SETTINGS]);
      expect(schema, name).toBe(JETSTREAM_OPTIONS.shape[name as keyof typeof JETSTREAM_OPTIONS.shape]);
    }
  });

  it("shares the NATS connection settings, so the legacy backend's `nats` section merges with it", () => {
    const legacy = { key: "nats", settings: NATS_CONNECTION_SETTINGS };
    const merged = mergeSections([jetstreamPlugin.config as never, legacy], ["backend", "prefix"]);
    expect(Object.keys(merged.get("nats") ?? {})).toEqual(["servers", "auth", "tls", "jsDomain", "bucket"]);
  });

  it("makes the backend from the host's settings: nats.*, prefix, host id and the open deadline", () => {
    const options = jetstreamOptions(hostConfig(), host);
    expect(options).toMatchObject({
      servers: ["nats://n1:4222", "nats://n2:4222"],
      auth: { token: "s3cret-token" },
      jsDomain: "hub",
      bucket: { replicas: 3, maxValueSize: 1024 },
      prefix: "east",
      hostId: "host-1",
      openTimeoutMs: 4000,
      provision: "create",
    });
    const backend = jetstreamPlugin.create(hostConfig(), host);
    expect(backend.describe?.()).toMatchObject({ bucket: "LATTICEDATA_east", jsDomain: "hub" });
  });

  it("binds to an existing bucket under createLattice: never, and may create one otherwise", () => {
    expect(jetstreamOptions(hostConfig({ createLattice: "never" }), host).provision).toBe("bind");
    expect(jetstreamOptions(hostConfig({ createLattice: "always" }), host).provision).toBe("create");
  });

  it("passes on only its own nats settings (another plugin may add its own to the section)", () => {
    const config = hostConfig();
    const shared = { ...config, nats: { ...config.nats, statusSubject: "x" } } as JetStreamConfig;
    expect(jetstreamOptions(shared, host)).not.toHaveProperty("statusSubject");
    expect(() => jetstreamPlugin.create(shared, host)).not.toThrow();
  });

  it("names where it connects without credentials", () => {
    const config = hostConfig();
    const withPassword = { ...config, nats: { ...config.nats, servers: ["nats://u:pw@n1:4222"] } };
    expect(jetstreamPlugin.target?.(withPassword)).toBe("NATS at nats://u:***@n1:4222");
  });

  it("words `JetStream is not enabled` as the problem and its fix, and leaves other errors to the host", () => {
    const error = new JetStreamNotEnabledError({
      servers: ["nats://n1:4222"],
      jsDomain: undefined,
      serverHasJetStream: false,
    });
    const failure = jetstreamPlugin.describeOpenFailure?.(error, hostConfig());
    expect(failure?.message).toBe("JetStream is not enabled on nats://n1:4222");
    expect(failure?.fix).toMatch(/nats-server -js/);
    expect(error.message).toBe(`${failure?.message}; ${failure?.fix}`);
    expect(jetstreamPlugin.describeOpenFailure?.(new Error("other"), hostConfig())).toBeUndefined();
  });
});
