// A plugin may contribute, besides its own config section, sections it shares with other backends (the
// `nats` connection settings its status channel uses) — merged with theirs when the settings are the same.
import { MemoryBackend } from "@lattice-cache/core";
import { configSection, defineBackendPlugin, setting, text } from "@lattice-cache/plugin";
import { memoryPlugin } from "@lattice-cache/plugin/memory";
import { NATS_CONNECTION_SETTINGS } from "@lattice-cache/plugin/nats";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { BackendRegistry } from "./backend-registry.js";
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

/** The configuration a registry loads from `env` with the plugin's backend selected. */
function configOf(registry: BackendRegistry, env: Record<string, string>) {
  return loadConfig({
    env,
    flags: { backend: "fake-store-a" },
    backends: registry.names,
    sections: registry.configSections,
  }) as unknown as Record<string, Record<string, unknown> | undefined>;
}

describe("a plugin with a section of its own and a shared one", () => {
  it("adds both, where no other backend has the shared one", () => {
    const registry = new BackendRegistry().registerBackend(memoryPlugin).registerBackend(plugin);
    const config = configOf(registry, {
      LATTICE_NATS_URL: "nats://127.0.0.1:4999",
      LATTICE_FAKE_STORE_A_ENDPOINT: "fake://env",
    });
    expect(config.fakeStoreA).toEqual({ endpoint: "fake://env" });
    expect(config.nats?.servers).toEqual(["nats://127.0.0.1:4999"]);
  });

  it("merges the shared one with the built-in backends' (their settings stay)", () => {
    const registry = createDefaultBackendRegistry().registerBackend(plugin);
    expect(registry.configSections).toContain(ownSection);
    const config = configOf(registry, { LATTICE_NATS_URL: "nats://127.0.0.1:4999" });
    expect(config.nats?.servers).toEqual(["nats://127.0.0.1:4999"]);
    expect(config.nats).toHaveProperty("bucket");
  });
});
