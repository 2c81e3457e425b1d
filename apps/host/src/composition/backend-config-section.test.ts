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

const etcdSection = configSection("etcd", {
  endpoint: setting(text().default("http://127.0.0.1:2379"), {
    description: "etcd endpoint",
    env: "LATTICE_ETCD_ENDPOINT",
    flag: "--etcd-endpoint <url>",
  }),
  password: setting(text().optional(), {
    description: "etcd password",
    env: "LATTICE_ETCD_PASSWORD",
    secret: true,
  }),
  lease: settingGroup({
    ttlSeconds: setting(integer(1, 3600).default(30), { description: "lease TTL", env: "LATTICE_ETCD_TTL" }),
    mode: setting(choice(["keepalive", "renew"]).default("keepalive"), { description: "lease mode" }),
  }),
});

const seen: string[] = [];
const etcdRegistration = defineBackendPlugin<PluginConfig<typeof etcdSection>>({
  name: "etcd",
  description: "a test backend with settings of its own",
  config: etcdSection,
  create(config) {
    // Typed: the section's output.
    seen.push(`${config.etcd.endpoint} ttl=${config.etcd.lease.ttlSeconds} mode=${config.etcd.lease.mode}`);
    return new MemoryBackend();
  },
});

function registry(): BackendRegistry {
  return new BackendRegistry().registerBackend(memoryBackendRegistration).registerBackend(etcdRegistration);
}

function load(r: BackendRegistry, options: { env?: Record<string, string>; flags?: Record<string, string> }) {
  return loadConfig({ env: {}, ...options, backends: r.names, sections: r.configSections });
}

describe("a backend's own config section", () => {
  it("is set by its env variables and flags (flags winning), with its defaults, and reaches its factory typed", () => {
    const r = registry();
    const config = load(r, {
      env: { LATTICE_ETCD_ENDPOINT: "http://e1:2379", LATTICE_ETCD_TTL: "60" },
      flags: { backend: "etcd", etcdEndpoint: "http://e2:2379" },
    }) as unknown as CoreConfig & PluginConfig<typeof etcdSection>;
    expect(config.etcd).toEqual({ endpoint: "http://e2:2379", lease: { ttlSeconds: 60, mode: "keepalive" } });
    r.create(config, undefined as never);
    expect(seen.at(-1)).toBe("http://e2:2379 ttl=60 mode=keepalive");
  });

  it("is validated like every setting: the field, its source and the allowed values", () => {
    const r = registry();
    let error: unknown;
    try {
      load(r, { env: { LATTICE_ETCD_TTL: "forever" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe("etcd.lease.ttlSeconds");
    expect((error as ConfigurationError).message).toContain("env LATTICE_ETCD_TTL");
    expect(() => load(r, { env: { LATTICE_BACKEND: "etcd" }, flags: { etcdEndpoint: " " } })).toThrow(
      /etcd\.endpoint must not be empty \(set by flag --etcd-endpoint\)/,
    );
  });

  it("is masked where secret, and absent from a registry without the backend", () => {
    const r = registry();
    const config = load(r, { env: { LATTICE_ETCD_PASSWORD: "etcd-secret" } });
    expect(JSON.stringify(maskSecrets(config, r.configSchema()))).not.toContain("etcd-secret");
    const without = new BackendRegistry().registerBackend(memoryBackendRegistration);
    expect(load(without, {})).not.toHaveProperty("etcd");
    expect(() => load(without, { flags: { etcdEndpoint: "x" } })).not.toThrow();
  });

  it("is printed by `config print` and offered by `--help`, with no other change to the CLI", async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), env: {} };
    const r = createDefaultBackendRegistry().registerBackend(etcdRegistration);
    expect(
      await runCli(["config", "print", "--json", "--etcd-endpoint", "http://e3:2379"], { io, registry: r }),
    ).toBe(0);
    expect(JSON.parse(out.join(""))).toMatchObject({
      etcd: { endpoint: "http://e3:2379" },
      nats: {},
      redis: {},
    });
    out.length = 0;
    await runCli(["--help"], { io, registry: r });
    expect(out.join("")).toMatch(/--etcd-endpoint <url>\s+etcd endpoint/);
  });

  it("may share a key with another backend only through the same setting schemas", () => {
    const clash = configSection("etcd", { endpoint: setting(text().optional(), { description: "another" }) });
    expect(() =>
      registry().registerBackend(
        defineBackendPlugin({
          name: "other",
          description: "",
          config: clash,
          create: () => new MemoryBackend(),
        }),
      ),
    ).toThrow(/two backends define etcd\.endpoint differently/);
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
