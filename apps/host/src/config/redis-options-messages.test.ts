// One schema, one wording: a bad Redis setting is described the same by the library's constructor
// (`new RedisBackend({…})`) and by `lattice` — whether the value came from an environment variable, a flag
// or the config file. The host adds "invalid configuration: " before the shared text and " (set by …)" after.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError } from "@lattice-cache/core";
import { RedisBackend, type RedisBackendOptions } from "@lattice-cache/redis";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnv, runLattice } from "../test-support/lattice-process.test-helpers.js";
import { loadConfig } from "./load-config.js";

const BACKENDS = ["jetstream", "redis", "memory"];
const dir = mkdtempSync(join(tmpdir(), "lattice-redis-messages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The library refuses `options` with exactly `shared`, a ConfigurationError. */
function expectLibrary(options: RedisBackendOptions, shared: string): void {
  expect(() => new RedisBackend(options)).toThrow(ConfigurationError);
  expect(() => new RedisBackend(options)).toThrow(expect.objectContaining({ message: shared }));
}

/** `lattice` refuses a configuration with the library's `shared` text, framed, naming `source`. */
function expectHost(load: () => unknown, source: string, shared: string): void {
  expect(load).toThrow(ConfigurationError);
  expect(load).toThrow(
    expect.objectContaining({ message: `invalid configuration: ${shared} (set by ${source})` }),
  );
}

/** Loads a config file holding `yaml` under `backend: redis`; its path is the source `lattice` names. */
function fromFile(name: string, yaml: string): [() => unknown, string] {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `backend: redis\n${yaml}\n`);
  return [() => loadConfig({ flags: { config: path }, env: {}, backends: BACKENDS }), `config file ${path}`];
}

const fromEnv = (env: Record<string, string>) => () =>
  loadConfig({ env: { LATTICE_BACKEND: "redis", ...env }, backends: BACKENDS });
const fromFlags = (flags: Record<string, string>) => () =>
  loadConfig({ flags: { backend: "redis", ...flags }, env: {}, backends: BACKENDS });

describe("a bad Redis setting reads the same from the library and from lattice", () => {
  const badUrl = 'redis.url URL "http://cache:6379" has scheme http; allowed values: redis://, rediss://';

  it("a URL of another scheme: LATTICE_REDIS_URL, --redis-url, redis.url", () => {
    expectLibrary({ url: "http://cache:6379" }, badUrl);
    expectHost(fromEnv({ LATTICE_REDIS_URL: "http://cache:6379" }), "env LATTICE_REDIS_URL", badUrl);
    expectHost(fromFlags({ redisUrl: "http://cache:6379" }), "flag --redis-url", badUrl);
    expectHost(...fromFile("url", "redis:\n  url: http://cache:6379"), badUrl);
  });

  it("a toggle that is no boolean: LATTICE_REDIS_TLS, redis.tls", () => {
    const shared = 'redis.tls must be a boolean (got "maybe"); allowed values: true, false';
    expectLibrary({ tls: "maybe" as unknown as boolean }, shared);
    expectHost(fromEnv({ LATTICE_REDIS_TLS: "maybe" }), "env LATTICE_REDIS_TLS", shared);
    expectHost(...fromFile("tls", "redis:\n  tls: maybe"), shared);
  });

  it("a number out of range, and a Sentinel without its master's name: the config file", () => {
    const length = "redis.changeLogLength must be an integer from 1 to 1000000000 (got 0)";
    expectLibrary({ changeLogLength: 0 }, length);
    expectHost(...fromFile("length", "redis:\n  changeLogLength: 0"), length);

    const sentinel = "redis.sentinel.name is required when redis.sentinel is set";
    expectLibrary({ sentinel: { sentinels: ["10.0.0.1:26379"] } as never }, sentinel);
    expectHost(...fromFile("sentinel", "redis:\n  sentinel:\n    sentinels: [10.0.0.1:26379]"), sentinel);
  });

  it("credentials in a cluster entry are refused and never echoed (they have settings of their own)", () => {
    const entry = "redis://:hunter2@10.0.0.1:7000";
    const shared =
      "redis.cluster entries must be host:port, without credentials (they have settings of their own)";
    expectLibrary({ cluster: [entry] }, shared);
    expectHost(...fromFile("cluster", `redis:\n  cluster: ["${entry}"]`), shared);
  });

  it("the lattice process prints the same text and exits 2", async () => {
    const run = await runLattice(["config", "print"], {
      env: cleanEnv({ LATTICE_BACKEND: "redis", LATTICE_REDIS_URL: "http://cache:6379" }),
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`invalid configuration: ${badUrl} (set by env LATTICE_REDIS_URL)`);
  });
});
