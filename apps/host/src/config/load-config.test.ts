import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configError } from "../test-support/configuration-error.test-helpers.js";
import { DEFAULT_CONFIG } from "./host-config.js";
import { loadConfig } from "./load-config.js";

const BACKENDS = ["jetstream", "redis", "memory"];
const dir = mkdtempSync(join(tmpdir(), "lattice-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("defaults", () => {
  it("are jetstream on nats://127.0.0.1:4222, prefix default, HTTP port 7411", () => {
    const config = loadConfig({ env: {}, backends: BACKENDS });
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.backend).toBe("jetstream");
    expect(config.nats.servers).toEqual(["nats://127.0.0.1:4222"]);
    expect(config.prefix).toBe("default");
    expect(config.http.port).toBe(7411);
  });
});

describe("precedence: file < environment < flags", () => {
  const yaml = file(
    "precedence.yaml",
    [
      "backend: redis",
      "prefix: fromfile",
      "http:",
      "  port: 9001",
      "nats:",
      "  servers: [nats://10.0.0.1:4222]",
      "hostId: file-host",
    ].join("\n"),
  );

  it("takes every setting from the file when nothing else sets it", () => {
    const config = loadConfig({ flags: { config: yaml }, env: {}, backends: BACKENDS });
    expect(config).toMatchObject({
      backend: "redis",
      prefix: "fromfile",
      hostId: "file-host",
      http: { port: 9001 },
    });
    expect(config.nats.servers).toEqual(["nats://10.0.0.1:4222"]);
    expect(config.configFile).toBe(yaml);
  });

  it("lets the environment override the file", () => {
    const env = {
      LATTICE_PREFIX: "fromenv",
      LATTICE_HTTP_PORT: "9002",
      LATTICE_NATS_URL: "nats://a:1,nats://b:2",
    };
    const config = loadConfig({ flags: { config: yaml }, env, backends: BACKENDS });
    expect(config).toMatchObject({ backend: "redis", prefix: "fromenv", http: { port: 9002 } });
    expect(config.nats.servers).toEqual(["nats://a:1", "nats://b:2"]);
  });

  it("lets flags override the environment and the file", () => {
    const env = { LATTICE_PREFIX: "fromenv", LATTICE_BACKEND: "jetstream" };
    const flags = {
      config: yaml,
      prefix: "fromflag",
      backend: "memory",
      httpPort: "0",
      natsUrl: "nats://c:3",
    };
    const config = loadConfig({ flags, env, backends: BACKENDS });
    expect(config).toMatchObject({
      backend: "memory",
      prefix: "fromflag",
      hostId: "file-host",
      http: { port: 0 },
    });
    expect(config.nats.servers).toEqual(["nats://c:3"]);
  });

  it("reads the file named by LATTICE_CONFIG when --config is absent, and JSON files as JSON", () => {
    const json = file("c.json", JSON.stringify({ prefix: "jsonfile", nats: { jsDomain: "hub" } }));
    const config = loadConfig({ env: { LATTICE_CONFIG: json }, backends: BACKENDS });
    expect(config).toMatchObject({ prefix: "jsonfile", nats: { jsDomain: "hub" } });
  });

  it("falls back to WASMCLOUD_LATTICE_PREFIX and WASMCLOUD_JS_DOMAIN only when the LATTICE_ names are unset", () => {
    const wasmcloud = { WASMCLOUD_LATTICE_PREFIX: "wc", WASMCLOUD_JS_DOMAIN: "wcdomain" };
    expect(loadConfig({ env: wasmcloud, backends: BACKENDS })).toMatchObject({
      prefix: "wc",
      nats: { jsDomain: "wcdomain" },
    });
    const both = { ...wasmcloud, LATTICE_PREFIX: "lc", LATTICE_JS_DOMAIN: "lcdomain" };
    expect(loadConfig({ env: both, backends: BACKENDS })).toMatchObject({
      prefix: "lc",
      nats: { jsDomain: "lcdomain" },
    });
  });

  it("maps the NATS and Redis credential variables", () => {
    const config = loadConfig({
      env: {
        LATTICE_NATS_USER: "u",
        LATTICE_NATS_PASSWORD: "p",
        LATTICE_REDIS_PASSWORD: "rp",
        LATTICE_REDIS_URL: "redis://r:1",
      },
      backends: BACKENDS,
    });
    expect(config.nats.auth).toEqual({ user: "u", password: "p" });
    expect(config.redis).toMatchObject({ url: "redis://r:1", password: "rp" });
  });

  it("normalizes NATS URLs without a scheme or port", () => {
    const config = loadConfig({
      flags: { natsUrl: "127.0.0.1, tls://secure.example" },
      env: {},
      backends: BACKENDS,
    });
    expect(config.nats.servers).toEqual(["nats://127.0.0.1:4222", "tls://secure.example:4222"]);
  });
});

describe("validation names the field, its source and the allowed values", () => {
  it("rejects an unknown backend with the registry's names", () => {
    const error = configError(() =>
      loadConfig({ env: { LATTICE_BACKEND: "fake-store-a" }, backends: BACKENDS }),
    );
    expect(error.field).toBe("backend");
    expect(error.allowed).toEqual(BACKENDS);
    expect(error.message).toContain("env LATTICE_BACKEND");
    expect(error.message).toContain("allowed values: jetstream, redis, memory");
  });

  it("rejects a bad log level and storage kind with their allowed values", () => {
    const level = configError(() => loadConfig({ flags: { logLevel: "loud" }, env: {}, backends: BACKENDS }));
    expect(level.field).toBe("logLevel");
    expect(level.allowed).toContain("debug");
    expect(level.message).toContain("flag --log-level");
    const storage = configError(() =>
      loadConfig({ env: { LATTICE_BUCKET_STORAGE: "tape" }, backends: BACKENDS }),
    );
    expect(storage.field).toBe("nats.bucket.storage");
    expect(storage.allowed).toEqual(["file", "memory"]);
  });

  it("rejects an out-of-range port and a non-numeric one", () => {
    expect(
      configError(() => loadConfig({ flags: { httpPort: "70000" }, env: {}, backends: BACKENDS })).field,
    ).toBe("http.port");
    const nan = configError(() => loadConfig({ env: { LATTICE_HTTP_PORT: "web" }, backends: BACKENDS }));
    expect(nan.field).toBe("http.port");
    expect(nan.message).toContain('"web"');
  });

  it("rejects a prefix that cannot be part of a bucket name", () => {
    const error = configError(() => loadConfig({ flags: { prefix: "a.b" }, env: {}, backends: BACKENDS }));
    expect(error.field).toBe("prefix");
  });

  it("rejects a URL with the wrong scheme, listing the schemes allowed", () => {
    const error = configError(() =>
      loadConfig({ flags: { redisUrl: "http://x:1" }, env: {}, backends: BACKENDS }),
    );
    expect(error.field).toBe("redis.url");
    expect(error.allowed).toEqual(["redis://", "rediss://"]);
  });

  it("rejects unknown keys in the file (typos), listing the known ones", () => {
    const path = file("typo.yaml", "nats:\n  sever: nats://x:1\n");
    const error = configError(() => loadConfig({ flags: { config: path }, env: {}, backends: BACKENDS }));
    expect(error.field).toBe("nats.sever");
    expect(error.allowed).toContain("nats.servers");
    expect(error.message).toContain(`config file ${path}`);
  });

  it("rejects two NATS authentication methods at once", () => {
    const error = configError(() =>
      loadConfig({ env: { LATTICE_NATS_TOKEN: "t", LATTICE_NATS_NKEY_SEED: "SU" }, backends: BACKENDS }),
    );
    expect(error.field).toBe("nats.auth");
  });

  it("reports a missing or malformed config file as a configuration error", () => {
    expect(
      configError(() =>
        loadConfig({ flags: { config: join(dir, "nope.yaml") }, env: {}, backends: BACKENDS }),
      ).field,
    ).toBe("config");
    const bad = file("bad.yaml", "prefix: [unclosed\n");
    expect(
      configError(() => loadConfig({ flags: { config: bad }, env: {}, backends: BACKENDS })).message,
    ).toContain("not valid YAML");
  });
});

describe("issue 28 item 5.4: a config file with several bad fields", () => {
  it("reports every one, each on its own line with the source that set it", () => {
    const path = file("two-bad.yaml", ["prefix: 'a b'", "http:", "  port: 99999"].join("\n"));
    const error = configError(() => loadConfig({ flags: { config: path }, env: {}, backends: BACKENDS }));
    const lines = error.message.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^invalid configuration: prefix .*\(set by .*two-bad\.yaml/);
    expect(lines[1]).toMatch(/^invalid configuration: http\.port .*\(set by .*two-bad\.yaml/);
    expect(error.field).toBe("prefix");
  });

  it("reports every unknown key first, then the bad values", () => {
    const path = file("typos.yaml", ["prefx: x", "http:", "  prot: 1", "  port: -1"].join("\n"));
    const error = configError(() => loadConfig({ flags: { config: path }, env: {}, backends: BACKENDS }));
    const lines = error.message.split("\n");
    expect(lines.map((l) => l.split(" ")[2])).toEqual(["prefx", "http.prot", "http.port"]);
    expect(error.field).toBe("prefx");
  });
});
