// Property-based fuzzing of the config loader: whatever a file, the environment or the flags hold, loading
// ends in a HostConfig or a ConfigurationError naming a field — never another exception, never a crash.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError } from "@lattice-cache/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { ENV_BINDINGS, envLayer } from "./config-env.js";
import { type ConfigFormat, parseConfigText } from "./config-file.js";
import { FLAG_BINDINGS, flagsLayer, type GlobalFlags } from "./config-flags.js";
import { mergeLayers } from "./config-layer.js";
import type { HostConfig } from "./host-config.js";
import { loadConfig } from "./load-config.js";
import { KNOWN_KEYS, validateConfig } from "./validate-config.js";

const BACKENDS = ["jetstream", "redis", "legacy", "memory"];
const RUNS = 10_000;
/**
 * Bounds a hang, not speed: these properties are CPU-bound (each about 3–5 s alone); on a 2-core machine busy with
 * other work one took 83 s, past the 60 s default (CI, 2026-12-07).
 */
const FUZZ_TIMEOUT_MS = 600_000;
const dir = mkdtempSync(join(tmpdir(), "lattice-config-fuzz-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The outcome every input must have: a config, or a ConfigurationError that names a field. */
function expectConfigOrFieldError(load: () => HostConfig): void {
  let config: HostConfig;
  try {
    config = load();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) {
      throw new Error(`expected a ConfigurationError, got ${String(error)}`, { cause: error });
    }
    expect(error.field, error.message).toEqual(expect.any(String));
    expect(error.field, error.message).not.toBe("");
    // The message names the field (file-level problems name the file, field "config").
    if (error.field !== "config") expect(error.message).toContain(error.field as string);
    return;
  }
  expect(BACKENDS).toContain(config.backend);
  expect(config.prefix).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(Number.isSafeInteger(config.maxValueBytes) && config.maxValueBytes > 0).toBe(true);
  expect(config.nats.servers.length).toBeGreaterThan(0);
}

function loadText(text: string, format: ConfigFormat): HostConfig {
  const layer = parseConfigText(text, `config file fuzz.${format}`, format);
  return validateConfig(mergeLayers([layer, envLayer({}), flagsLayer({})]), { backends: BACKENDS });
}

// Values of every type, and strings that look almost right.
const nearlyRight = fc.constantFrom(
  "",
  " ",
  "0",
  "-1",
  "1e3",
  "65536",
  "99999999999999999999",
  "true",
  "yes",
  "null",
  "~",
  "jetstream",
  "memory",
  "redis",
  "nats://127.0.0.1:4222",
  "redis://:pw@127.0.0.1:6379",
  "http://x",
  "nats://",
  "a.b",
  "*",
  ">",
  "__proto__",
  "constructor",
  "file",
  "create",
  "info",
  "legacy-wins",
  "durable-wins",
);
const scalar = fc.oneof(nearlyRight, fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const anyValue = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(nearlyRight, fc.string()), scalar, { maxKeys: 3 }) },
);

/** The real schema's shape (the validator's own list of known keys), every leaf replaced by anything. */
const SCHEMA = KNOWN_KEYS;

function section(path: string): fc.Arbitrary<Record<string, unknown>> {
  const keys = SCHEMA[path] ?? [];
  const entries = keys.map((key) => {
    const child = path ? `${path}.${key}` : key;
    const value: fc.Arbitrary<unknown> = SCHEMA[child]
      ? fc.oneof({ weight: 3, arbitrary: section(child) }, { weight: 1, arbitrary: anyValue })
      : anyValue;
    return fc.option(fc.tuple(fc.constant(key), value), { nil: undefined, freq: 2 });
  });
  const stray = fc.option(fc.tuple(fc.oneof(nearlyRight, fc.string({ maxLength: 8 })), anyValue), {
    nil: undefined,
    freq: 4,
  });
  return fc.tuple(fc.tuple(...entries), stray).map(([picked, extra]) => {
    const out: Record<string, unknown> = {};
    for (const e of [...picked, extra]) {
      if (e)
        Object.defineProperty(out, e[0], {
          value: e[1],
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  });
}

describe("config files: arbitrary text", () => {
  it(`YAML: ${RUNS} texts load or fail with a ConfigurationError naming a field`, {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" })), (text) => {
        expectConfigOrFieldError(() => loadText(text, "yaml"));
      }),
      { numRuns: RUNS },
    );
  });

  it(`JSON: ${RUNS} texts load or fail with a ConfigurationError naming a field`, {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        expectConfigOrFieldError(() => loadText(text, "json"));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("config files: objects shaped like the schema, with wrong types", () => {
  it(`${RUNS} objects, as YAML and as JSON, load or fail naming a field`, {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    fc.assert(
      fc.property(section(""), (tree) => {
        expectConfigOrFieldError(() => loadText(toYaml(tree), "yaml"));
        expectConfigOrFieldError(() => loadText(JSON.stringify(tree), "json"));
      }),
      { numRuns: RUNS },
    );
  });

  it("known traps: __proto__ keys, recursive aliases, alias bombs, odd tags", () => {
    const traps = [
      '{"__proto__": {"backend": "nope"}}',
      '{"nats": {"__proto__": {"servers": 5}}}',
      "__proto__:\n  prefix: polluted\n",
      "nats: &a\n  bucket: *a\n",
      "a: &a [*a]\n",
      `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [${"*a,".repeat(9)}*a]\nc: &c [${"*b,".repeat(9)}*b]\nd: [${"*c,".repeat(9)}*c]\n`,
      "backend: !!binary aGVsbG8=\n",
      "prefix: !custom tag\n",
      "http:\n  port: .nan\n",
      "http:\n  port: .inf\n",
      "connectTimeoutMs: 0x10\n",
      "? [a, b]\n: c\n",
    ];
    for (const text of traps) {
      expectConfigOrFieldError(() => loadText(text, "yaml"));
      expectConfigOrFieldError(() => loadText(text, "json"));
    }
    // A __proto__ key is an unknown setting, not a way to slip values past validation.
    expect(() => loadText('{"__proto__": {"prefix": "polluted"}}', "json")).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).prefix).toBeUndefined();
  });

  it("a few hundred of them through real files and loadConfig", { timeout: FUZZ_TIMEOUT_MS }, () => {
    let n = 0;
    fc.assert(
      fc.property(section(""), fc.boolean(), (tree, asJson) => {
        const path = join(dir, `fuzz-${n++}.${asJson ? "json" : "yaml"}`);
        writeFileSync(path, asJson ? JSON.stringify(tree) : toYaml(tree));
        expectConfigOrFieldError(() => loadConfig({ flags: { config: path }, env: {}, backends: BACKENDS }));
      }),
      { numRuns: 300 },
    );
  });
});

describe("environment and flags: arbitrary values", () => {
  it(`${RUNS} environments and flag sets load or fail naming a field`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const env = fc.record(
      Object.fromEntries(
        ENV_BINDINGS.map((b) => [
          b.variable,
          fc.option(fc.oneof(nearlyRight, fc.string()), { nil: undefined }),
        ]),
      ),
      { requiredKeys: [] },
    );
    const flags = fc.record(
      Object.fromEntries(
        FLAG_BINDINGS.map((b) => [b.flag, fc.option(fc.oneof(nearlyRight, fc.string()), { nil: undefined })]),
      ),
      { requiredKeys: [] },
    ) as fc.Arbitrary<GlobalFlags>;
    fc.assert(
      fc.property(env, flags, (e, f) => {
        expectConfigOrFieldError(() => loadConfig({ flags: f, env: e, backends: BACKENDS }));
      }),
      { numRuns: RUNS },
    );
  });
});
