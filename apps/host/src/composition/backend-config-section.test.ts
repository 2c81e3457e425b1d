// A backend with settings of its own declares them in its registration only: the section joins the schema,
// so the environment, the flags, the file, validation, `config print` (masked) and `--help` all know them.
import { ConfigurationError, MemoryBackend } from "@lattice-cache/core";
import {
  choice,
  configSection,
  defineBackendPlugin,
  integer,
  type PluginConfig,
  setting,
  settingGroup,
  text,
} from "@lattice-cache/plugin";
import { memoryPlugin as memoryBackendRegistration } from "@lattice-cache/plugin/memory";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/program.js";
import type { CoreConfig } from "../config/core-settings.js";
import { loadConfig } from "../config/load-config.js";
import { maskSecrets } from "../config/mask-secrets.js";
import { BackendRegistry } from "./backend-registry.js";
import { createDefaultBackendRegistry } from "./builtin-backends.js";

const fakeStoreSection = configSection("fakeStoreA", {
  endpoint: setting(text().default("tcp://127.0.0.1:1"), {
    description: "fake-store-a endpoint",
    env: "LATTICE_FAKE_STORE_A_ENDPOINT",
    flag: "--fake-store-a-endpoint <url>",
  }),
  password: setting(text().optional(), {
    description: "fake-store-a password",
    env: "LATTICE_FAKE_STORE_A_PASSWORD",
    secret: true,
  }),
  lease: settingGroup({
    ttlSeconds: setting(integer(1, 3600).default(30), {
      description: "lease TTL",
      env: "LATTICE_FAKE_STORE_A_TTL",
    }),
    mode: setting(choice(["keepalive", "renew"]).default("keepalive"), { description: "lease mode" }),
  }),
});

const seen: string[] = [];
const fakeStoreRegistration = defineBackendPlugin<PluginConfig<typeof fakeStoreSection>>({
  name: "fake-store-a",
  description: "a test backend with settings of its own",
  config: fakeStoreSection,
  create(config) {
    // Typed: the section's output.
    seen.push(
      `${config.fakeStoreA.endpoint} ttl=${config.fakeStoreA.lease.ttlSeconds} mode=${config.fakeStoreA.lease.mode}`,
    );
    return new MemoryBackend();
  },
});

function registry(): BackendRegistry {
  return new BackendRegistry()
    .registerBackend(memoryBackendRegistration)
    .registerBackend(fakeStoreRegistration);
}

function load(r: BackendRegistry, options: { env?: Record<string, string>; flags?: Record<string, string> }) {
  return loadConfig({ env: {}, ...options, backends: r.names, sections: r.configSections });
}

describe("a backend's own config section", () => {
  it("is set by its env variables and flags (flags winning), with its defaults, and reaches its factory typed", () => {
    const r = registry();
    const config = load(r, {
      env: { LATTICE_FAKE_STORE_A_ENDPOINT: "tcp://e1:1", LATTICE_FAKE_STORE_A_TTL: "60" },
      flags: { backend: "fake-store-a", fakeStoreAEndpoint: "tcp://e2:1" },
    }) as unknown as CoreConfig & PluginConfig<typeof fakeStoreSection>;
    expect(config.fakeStoreA).toEqual({
      endpoint: "tcp://e2:1",
      lease: { ttlSeconds: 60, mode: "keepalive" },
    });
    r.create(config, undefined as never);
    expect(seen.at(-1)).toBe("tcp://e2:1 ttl=60 mode=keepalive");
  });

  it("is validated like every setting: the field, its source and the allowed values", () => {
    const r = registry();
    let error: unknown;
    try {
      load(r, { env: { LATTICE_FAKE_STORE_A_TTL: "forever" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe("fakeStoreA.lease.ttlSeconds");
    expect((error as ConfigurationError).message).toContain("env LATTICE_FAKE_STORE_A_TTL");
    expect(() =>
      load(r, { env: { LATTICE_BACKEND: "fake-store-a" }, flags: { fakeStoreAEndpoint: " " } }),
    ).toThrow(/fakeStoreA\.endpoint must not be empty \(set by flag --fake-store-a-endpoint\)/);
  });

  it("is masked where secret, and absent from a registry without the backend", () => {
    const r = registry();
    const config = load(r, { env: { LATTICE_FAKE_STORE_A_PASSWORD: "fake-store-secret" } });
    expect(JSON.stringify(maskSecrets(config, r.configSchema()))).not.toContain("fake-store-secret");
    const without = new BackendRegistry().registerBackend(memoryBackendRegistration);
    expect(load(without, {})).not.toHaveProperty("fakeStoreA");
    expect(() => load(without, { flags: { fakeStoreAEndpoint: "x" } })).not.toThrow();
  });

  it("is printed by `config print` and offered by `--help`, with no other change to the CLI", async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), env: {} };
    const r = createDefaultBackendRegistry().registerBackend(fakeStoreRegistration);
    expect(
      await runCli(["config", "print", "--json", "--fake-store-a-endpoint", "tcp://e3:1"], {
        io,
        registry: r,
      }),
    ).toBe(0);
    expect(JSON.parse(out.join(""))).toMatchObject({
      fakeStoreA: { endpoint: "tcp://e3:1" },
      nats: {},
      redis: {},
    });
    out.length = 0;
    await runCli(["--help"], { io, registry: r });
    expect(out.join("")).toMatch(/--fake-store-a-endpoint <url>\s+fake-store-a endpoint/);
  });

  it("may share a key with another backend only through the same setting schemas", () => {
    const clash = configSection("fakeStoreA", {
      endpoint: setting(text().optional(), { description: "another" }),
    });
    expect(() =>
      registry().registerBackend(
        defineBackendPlugin({
          name: "other",
          description: "",
          config: clash,
          create: () => new MemoryBackend(),
        }),
      ),
    ).toThrow(/two backends define fakeStoreA\.endpoint differently/);
    const core = configSection("prefix", {});
    expect(() =>
      new BackendRegistry().registerBackend(
        defineBackendPlugin({
          name: "x",
          description: "",
          config: core,
          create: () => new MemoryBackend(),
        }),
      ),
    ).toThrow(/belongs to the host's own settings/);
  });
});
