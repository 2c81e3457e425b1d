// A plugin may contribute, besides its own config section, sections it shares with other backends (the
// `nats` connection settings its status channel uses) — merged with theirs when the settings are the same.
import { MemoryBackend } from "@lattice-cache/core";
import { configSection, defineBackendPlugin, setting, text } from "@lattice-cache/plugin";
import { NATS_CONNECTION_SETTINGS } from "@lattice-cache/plugin/nats";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { createDefaultBackendRegistry } from "./builtin-backends.js";

const ownSection = configSection("fakeStoreA", {
  endpoint: setting(text().default("fake://default"), {
    description: "where the fake store is",
    env: "LATTICE_FAKE_STORE_A_ENDPOINT",
  }),
});

const plugin = defineBackendPlugin({
  name: "fake-store-a",
  description: "a test backend with its own section and the shared NATS one",
  config: ownSection,
  sharedSections: [configSection("nats", NATS_CONNECTION_SETTINGS)],
  create: () => new MemoryBackend(),
});

describe("a plugin with a section of its own and a shared one", () => {
  it("adds each: its own, and the shared one merged with the built-in backends'", () => {
    const registry = createDefaultBackendRegistry().registerBackend(plugin);
    expect(registry.configSections).toContain(ownSection);
    const config = loadConfig({
      env: { LATTICE_NATS_URL: "nats://127.0.0.1:4999", LATTICE_FAKE_STORE_A_ENDPOINT: "fake://env" },
      flags: { backend: "fake-store-a" },
      backends: registry.names,
      sections: registry.configSections,
    }) as unknown as Record<string, Record<string, unknown>>;
    expect(config.fakeStoreA).toEqual({ endpoint: "fake://env" });
    expect(config.nats?.servers).toEqual(["nats://127.0.0.1:4999"]);
    // The built-in jetstream section's own settings are still there.
    expect(config.nats).toHaveProperty("bucket");
  });
});
