import {
  BackendUnavailableError,
  ConfigurationError,
  type LatticeCache,
  MemoryBackend,
} from "@lattice-cache/core";
import { BACKEND_SPECIFICATION_VERSION, type LatticeBackend } from "@lattice-cache/core/backend";
import { defineBackendPlugin } from "@lattice-cache/plugin";
import { memoryPlugin as memoryBackendRegistration } from "@lattice-cache/plugin/memory";
import {
  disposeAll,
  type NatsServerHandle,
  type PostgresServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { HostMetrics } from "../observability/host-metrics.js";
import { HostRuntime } from "../runtime/host-runtime.js";
import { BackendRegistry } from "./backend-registry.js";
import { createDefaultBackendRegistry } from "./builtin-backends.js";
import { createHostContainer, openLatticeCache } from "./host-container.js";
import { closeCacheWithin } from "./open-cache.js";
import { BACKEND, BACKEND_REGISTRY, CONFIG, LATTICE_CACHE, LOGGER, METRICS, resolveToken } from "./tokens.js";

const quiet = createHostLogger("silent");
let nats: NatsServerHandle;
let redis: RedisServerHandle;
let postgres: PostgresServerHandle;
const opened: LatticeCache[] = [];

beforeAll(async () => {
  [nats, redis, postgres] = await Promise.all([startNatsServer(), startRedisServer(), startPostgresServer()]);
});

afterAll(async () => {
  // Bounded: LegacyBackend.close() can take minutes (reported to its owner).
  await Promise.all(opened.map((c) => closeCacheWithin(c, 2000)));
  await disposeAll();
});

function containerFor(flags: Record<string, string>, registry = createDefaultBackendRegistry()) {
  // Each test's lattice beside the others on the shared servers: created explicitly (createLattice).
  const config = loadConfig({
    flags: { createLattice: "always", ...flags },
    env: {},
    backends: registry.names,
  });
  return createHostContainer(config, { registry, logger: quiet });
}

describe("composition: a container per backend, each doing a put and a get", () => {
  const cases = [
    { backend: "memory", flags: () => ({ backend: "memory", prefix: "compose" }) },
    { backend: "jetstream", flags: () => ({ backend: "jetstream", natsUrl: nats.url, prefix: "compose" }) },
    { backend: "redis", flags: () => ({ backend: "redis", redisUrl: redis.url, prefix: "compose" }) },
    { backend: "legacy", flags: () => ({ backend: "legacy", natsUrl: nats.url, prefix: "compose" }) },
    {
      backend: "postgres",
      flags: () => ({ backend: "postgres", postgresUrl: postgres.url, prefix: "compose" }),
    },
  ];

  for (const { backend, flags } of cases) {
    it(`${backend}: resolves Config, Logger, Metrics and Backend, opens the cache, round-trips a value`, async () => {
      const c = containerFor(flags());
      expect(resolveToken(c, CONFIG).backend).toBe(backend);
      expect(resolveToken(c, LOGGER)).toBe(quiet);
      expect(resolveToken(c, METRICS)).toBeInstanceOf(HostMetrics);
      expect(resolveToken(c, METRICS)).toBe(resolveToken(c, METRICS));
      const backendInstance = resolveToken(c, BACKEND);
      expect(backendInstance.name).toBe(backend);
      expect(resolveToken(c, BACKEND)).toBe(backendInstance);

      const cache = await openLatticeCache(c);
      opened.push(cache);
      expect(resolveToken(c, LATTICE_CACHE)).toBe(cache);
      await cache.ready(20_000);
      const ref = { actor_id: `M${backend}`, contract_id: "wasmcloud:keyvalue", link_name: "default" };
      const { revision } = await cache.linkdefs.put({
        ...ref,
        provider_id: "Vprov",
        values: { bucket: backend },
      });
      expect(cache.linkdefs.getEntry(ref)).toMatchObject({
        revision,
        value: { provider_id: "Vprov", values: { bucket: backend } },
      });
      expect(await resolveToken(c, METRICS).render()).toMatch(
        /lattice_cache_entries\{collection="linkdefs"\} [1-9]/,
      );
    });
  }

  it("jetstream: a second container on the same lattice sees the first one's write", async () => {
    const writer = await openLatticeCache(
      containerFor({ backend: "jetstream", natsUrl: nats.url, prefix: "shared" }),
    );
    const reader = await openLatticeCache(
      containerFor({ backend: "jetstream", natsUrl: nats.url, prefix: "shared" }),
    );
    opened.push(writer, reader);
    await Promise.all([writer.ready(20_000), reader.ready(20_000)]);
    const { revision } = await writer.refmaps.put({
      oci_url: "ghcr.io/acme/echo:1.0.0",
      public_key: "Mecho",
    });
    expect(await reader.waitForRevision(revision, 20_000)).toBe(true);
    expect(reader.refmaps.get("ghcr.io/acme/echo:1.0.0")).toEqual({
      oci_url: "ghcr.io/acme/echo:1.0.0",
      public_key: "Mecho",
    });
  });
});

describe("the backend registry", () => {
  it("adds a backend with one registerBackend call and selects it by configuration, no switch involved", async () => {
    const made: string[] = [];
    const registry = new BackendRegistry().registerBackend(memoryBackendRegistration).registerBackend(
      defineBackendPlugin({
        name: "custom",
        description: "a test backend",
        create: (config) => {
          made.push(config.prefix);
          return new MemoryBackend();
        },
      }),
    );
    const c = containerFor({ backend: "custom", prefix: "viaregistry" }, registry);
    expect(resolveToken(c, BACKEND_REGISTRY)).toBe(registry);
    const cache = await openLatticeCache(c);
    opened.push(cache);
    await cache.ready(5000);
    expect(made).toEqual(["viaregistry"]);
    expect(registry.names).toEqual(["memory", "custom"]);
  });

  it("offers jetstream, redis, legacy and memory by default, jetstream first (the default)", () => {
    expect(createDefaultBackendRegistry().names).toEqual([
      "jetstream",
      "redis",
      "legacy",
      "memory",
      "postgres",
    ]);
  });

  it("refuses an unknown name with the allowed values, and a duplicate registration", () => {
    const registry = createDefaultBackendRegistry();
    let error: unknown;
    try {
      registry.get("fake-store-a");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).allowed).toEqual(registry.names);
    expect(() => registry.registerBackend(memoryBackendRegistration)).toThrow(/already registered/);
  });
});

describe("the host runtime (resolved from the container)", () => {
  it("keeps retrying while the backend is unreachable and reports it on /status, then connects", async () => {
    // A backend that refuses to open twice, then works: what a host sees while NATS is still starting.
    let attempts = 0;
    const flaky: BackendRegistry = new BackendRegistry().registerBackend(
      defineBackendPlugin({
        name: "flaky",
        description: "fails to open twice",
        create: () => {
          attempts += 1;
          const inner = new MemoryBackend();
          if (attempts > 2) return inner;
          const failing: LatticeBackend = {
            specificationVersion: BACKEND_SPECIFICATION_VERSION,
            name: "flaky",
            capabilities: inner.capabilities,
            open: async () => {
              throw new BackendUnavailableError("flaky", "connection refused");
            },
            subscribe: (after, sink) => inner.subscribe(after, sink),
            write: (request) => inner.write(request),
            head: () => inner.head(),
            close: () => inner.close(),
          };
          return failing;
        },
        target: () => "the flaky test store",
      }),
    );
    const c = containerFor({ backend: "flaky", httpPort: "0" }, flaky);
    const runtime = c.resolve(HostRuntime);
    expect(c.resolve(HostRuntime)).toBe(runtime);
    const address = await runtime.start();
    try {
      const first = (await (await fetch(`${address.url}/status`)).json()) as { state: string };
      expect(first.state).toMatch(/connecting|syncing|live/);
      const cache = await runtime.ready(20_000);
      expect(attempts).toBe(3);
      expect(cache.isReady).toBe(true);
      const ready = await fetch(`${address.url}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await runtime.stop();
    }
  });

  it("gives up at once on a configuration error instead of retrying", async () => {
    const broken = new BackendRegistry().registerBackend(
      defineBackendPlugin({
        name: "broken",
        description: "always misconfigured",
        create: () => {
          throw new ConfigurationError("broken.setting is wrong", { field: "broken.setting" });
        },
      }),
    );
    const c = containerFor({ backend: "broken", httpPort: "0" }, broken);
    const runtime = c.resolve(HostRuntime);
    await runtime.start();
    try {
      await expect(runtime.opened()).rejects.toBeInstanceOf(ConfigurationError);
    } finally {
      await runtime.stop();
    }
  });
});
