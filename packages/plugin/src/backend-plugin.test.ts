// The plugin contract's version check: a host loads a plugin built for its API version and refuses, with an
// error naming the package, one built for another version or something that is no plugin.
import { ConfigurationError, MemoryBackend } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import {
  checkBackendPlugin,
  defineBackendPlugin,
  PLUGIN_API_VERSION,
  PluginLoadError,
} from "./backend-plugin.js";
import { memoryPlugin } from "./memory/memory-plugin.js";

const fake = defineBackendPlugin({
  name: "fake-store-a",
  description: "a made-up store for this spec",
  create: () => new MemoryBackend(),
});

describe("backend plugins are versioned", () => {
  it("defineBackendPlugin stamps the contract's version, which checkBackendPlugin accepts", () => {
    expect(fake.pluginApiVersion).toBe(PLUGIN_API_VERSION);
    expect(checkBackendPlugin(fake, "lattice-backend-fake-store-a")).toBe(fake);
    expect(checkBackendPlugin(memoryPlugin, "@lattice-cache/plugin/memory").name).toBe("memory");
  });

  it("refuses a plugin built for another version, naming the package and both versions", () => {
    const old = { ...fake, pluginApiVersion: PLUGIN_API_VERSION + 1 };
    let thrown: unknown;
    try {
      checkBackendPlugin(old, "lattice-backend-fake-store-a");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PluginLoadError);
    expect(thrown).toBeInstanceOf(ConfigurationError);
    const error = thrown as PluginLoadError;
    expect(error.reason).toBe("api-version");
    expect(error.source).toBe("lattice-backend-fake-store-a");
    expect(error.field).toBe("backend");
    expect(error.message).toContain(`plugin API version ${PLUGIN_API_VERSION + 1}`);
    expect(error.message).toContain(`this lattice loads version ${PLUGIN_API_VERSION}`);
  });

  it("refuses what is no plugin: not an object, no version, no name or create()", () => {
    for (const candidate of [undefined, 42, {}, { pluginApiVersion: PLUGIN_API_VERSION, name: "x" }]) {
      expect(() => checkBackendPlugin(candidate, "some-package")).toThrow(PluginLoadError);
    }
    expect(() => checkBackendPlugin({ pluginApiVersion: PLUGIN_API_VERSION }, "some-package")).toThrow(
      /some-package does not export a backend plugin/,
    );
  });
});
