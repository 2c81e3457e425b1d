// The proof that the layering lint (.dependency-cruiser.cjs) fails when it should: the repository's config,
// run as `pnpm lint` runs it, over a small workspace written to a temporary directory that breaks every rule
// once — a type-only cycle, core importing a backend and the host, the plugin contract importing a backend, the host naming a backend outside its built-in list, a backend importing another (also from a
// test helper, also a backend added later), production code importing test helpers, the harness and another
// package's `./testing` door — and also holds what is allowed (tests using the harness and the suite, a
// package's own testing door, tooling using anything), which must not be reported.
import { deepStrictEqual, equal, notEqual, ok } from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const depcruise = join(root, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");

/** A package.json whose `exports` open `doors` (`.` and `./testing` the way the workspace's packages do). */
function manifest(name, doors = ["."]) {
  const exports = Object.fromEntries(
    doors.map((door) => {
      const file = door === "." ? "index" : door.slice(2);
      return [door, { types: `./dist/${file}.d.ts`, import: `./dist/${file}.js` }];
    }),
  );
  return `${JSON.stringify({ name: `@lattice-cache/${name}`, type: "module", exports }, null, 2)}\n`;
}

/** The fixture workspace: path → content. */
const FILES = {
  "package.json": '{ "name": "fixture", "private": true }\n',
  "packages/core/package.json": manifest("core", [".", "./testing"]),
  "packages/conformance/package.json": manifest("conformance"),
  "packages/redis/package.json": manifest("redis"),
  "packages/jetstream/package.json": manifest("jetstream"),
  "packages/legacy/package.json": manifest("legacy", [".", "./testing"]),
  "packages/future/package.json": manifest("future"),
  "packages/plugin/package.json": manifest("plugin"),
  "apps/host/package.json": manifest("host"),
  "tooling/test-harness/package.json": manifest("test-harness"),
  "tooling/bench/package.json": '{ "name": "@lattice-cache/bench", "type": "module" }\n',

  // A cycle made of type-only imports.
  "packages/core/src/a.ts": 'import type { B } from "./b.js";\nexport interface A {\n  readonly b?: B;\n}\n',
  "packages/core/src/b.ts": 'import type { A } from "./a.js";\nexport interface B {\n  readonly a?: A;\n}\n',
  "packages/core/src/index.ts": 'export type { A } from "./a.js";\nexport const core = 1;\n',
  "packages/core/src/uses-backend.ts":
    'import { RedisBackend } from "@lattice-cache/redis";\nexport const b = new RedisBackend();\n',
  "packages/core/src/uses-host.ts": 'import { host } from "@lattice-cache/host";\nexport const h = host;\n',
  "packages/core/src/testing.ts": 'import { core } from "./index.js";\nexport const helper = core;\n',
  // Built output is never cruised: this import of a backend from core's dist/ is not reported.
  "packages/core/dist/index.js": 'import "@lattice-cache/redis";\nexport const core = 1;\n',

  "packages/conformance/src/index.ts":
    'import { core } from "@lattice-cache/core";\nimport { JetStreamBackend } from "@lattice-cache/jetstream";\nexport const suite = [core, JetStreamBackend];\n',

  "packages/redis/src/index.ts":
    'import { core } from "@lattice-cache/core";\nexport class RedisBackend {\n  core = core;\n}\n',
  "packages/redis/src/feed.ts":
    'import { fixture } from "./redis.test-helpers.js";\nexport const feed = fixture;\n',
  "packages/redis/src/redis.test-helpers.ts": "export const fixture = 1;\n",
  "packages/redis/src/missing.ts":
    'import { nothing } from "@lattice-cache/nothing-here";\nexport const m = nothing;\n',
  "packages/redis/src/redis.test.ts": [
    'import { suite } from "@lattice-cache/conformance";',
    'import { helper } from "@lattice-cache/core/testing";',
    'import { startNatsServer } from "@lattice-cache/test-harness";',
    'import { fixture } from "./redis.test-helpers.js";',
    "export const t = [suite, helper, startNatsServer, fixture];",
    "",
  ].join("\n"),

  "packages/jetstream/src/index.ts": "export class JetStreamBackend {}\n",
  "packages/jetstream/src/options.ts":
    'import { startNatsServer } from "@lattice-cache/test-harness";\nexport const o = startNatsServer;\n',
  "packages/jetstream/src/host-link.ts":
    'import { host } from "@lattice-cache/host";\nexport const h = host;\n',
  "packages/jetstream/src/built.ts":
    'import { core } from "../../core/dist/index.js";\nexport const c = core;\n',

  "packages/legacy/src/bridge.ts":
    'import { JetStreamBackend } from "@lattice-cache/jetstream";\nexport const j = JetStreamBackend;\n',
  "packages/legacy/src/fixtures.test-helpers.ts":
    'import type { RedisBackend } from "@lattice-cache/redis";\nexport type R = RedisBackend;\n',
  "packages/legacy/src/testing.ts": 'export { j } from "./bridge.js";\n',
  "packages/legacy/src/uses-own-door.ts": 'import { j } from "./testing.js";\nexport const own = j;\n',

  // The plugin contract imports core only; a backend may import it.
  "packages/plugin/src/index.ts":
    'import { core } from "@lattice-cache/core";\nexport const contract = core;\n',
  "packages/plugin/src/uses-backend.ts":
    'import { RedisBackend } from "@lattice-cache/redis";\nexport const p = RedisBackend;\n',
  "packages/redis/src/host.ts":
    'import { contract } from "@lattice-cache/plugin";\nexport const plugin = contract;\n',

  // A backend added later is a backend too.
  "packages/future/src/index.ts":
    'import { RedisBackend } from "@lattice-cache/redis";\nexport const f = RedisBackend;\n',

  "apps/host/src/index.ts": [
    'import { helper } from "@lattice-cache/core/testing";',
    'import { JetStreamBackend } from "@lattice-cache/jetstream";',
    'import { j } from "@lattice-cache/legacy";',
    "export const host = [helper, JetStreamBackend, j];",
    "",
  ].join("\n"),
  "packages/legacy/src/index.ts": 'export { j } from "./bridge.js";\n',
  // The list of built-in plugins may name backends; a host test may compose them.
  "apps/host/src/composition/builtin-backends.ts":
    'import { RedisBackend } from "@lattice-cache/redis";\nexport const builtins = [RedisBackend];\n',
  "apps/host/src/host.test.ts":
    'import { RedisBackend } from "@lattice-cache/redis";\nexport const t = RedisBackend;\n',

  "tooling/test-harness/src/index.ts": "export function startNatsServer() {}\n",
  "tooling/bench/src/index.ts":
    'import { startNatsServer } from "@lattice-cache/test-harness";\nimport { RedisBackend } from "@lattice-cache/redis";\nexport const bench = [startNatsServer, RedisBackend];\n',
};

/** Every violation the fixture must produce, as `rule: from → to` (a cycle: its modules); nothing else may be. */
const EXPECTED = [
  "no-circular: packages/core/src/a.ts ⇄ packages/core/src/b.ts",
  "core-imports-no-other-layer: packages/core/src/uses-backend.ts → packages/redis/src/index.ts",
  "core-imports-no-other-layer: packages/core/src/uses-host.ts → apps/host/src/index.ts",
  "conformance-imports-no-backend: packages/conformance/src/index.ts → packages/jetstream/src/index.ts",
  "plugin-contract-imports-no-backend: packages/plugin/src/uses-backend.ts → packages/redis/src/index.ts",
  "backend-imports-no-backend: packages/legacy/src/bridge.ts → packages/jetstream/src/index.ts",
  "backend-imports-no-backend: packages/future/src/index.ts → packages/redis/src/index.ts",
  "host-names-backends-only-in-builtin-list: apps/host/src/index.ts → packages/jetstream/src/index.ts",
  "host-names-backends-only-in-builtin-list: apps/host/src/index.ts → packages/legacy/src/index.ts",
  "packages-import-no-app: packages/jetstream/src/host-link.ts → apps/host/src/index.ts",
  "production-imports-no-test-helpers: packages/redis/src/feed.ts → packages/redis/src/redis.test-helpers.ts",
  "production-imports-no-test-helpers: packages/jetstream/src/options.ts → tooling/test-harness/src/index.ts",
  "production-imports-no-testing-door: apps/host/src/index.ts → packages/core/src/testing.ts",
  "workspace-import-resolves: packages/redis/src/missing.ts → @lattice-cache/nothing-here",
  "no-import-of-built-output: packages/jetstream/src/built.ts → packages/core/dist/index.js",
].sort();

/** A violation as EXPECTED lists it. */
function shown(violation) {
  if (violation.cycle === undefined) return `${violation.rule.name}: ${violation.from} → ${violation.to}`;
  const modules = new Set([violation.from, ...violation.cycle.map((step) => step.name)]);
  return `${violation.rule.name}: ${[...modules].sort().join(" ⇄ ")}`;
}

/** What the root script `lint:deps` runs (turbo's `//#lint:deps`, a dependency of every `lint`); the proof too. */
const LINT_ARGS = ["--config", ".dependency-cruiser.cjs", "packages", "apps", "tooling"];

/** Runs depcruise in `cwd` with the repository's config, as `lint:deps` does, plus `extra` options. */
function cruise(cwd, extra = []) {
  const [, , ...targets] = LINT_ARGS;
  const args = [depcruise, "--config", join(root, ".dependency-cruiser.cjs"), ...extra, ...targets];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, encoding: "utf8", maxBuffer: 64 << 20 },
      (error, stdout, stderr) => resolve({ status: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the layering lint (.dependency-cruiser.cjs)", () => {
  let fixture;
  let lint;
  let result;

  before(async () => {
    fixture = mkdtempSync(join(tmpdir(), "lattice-layering-"));
    for (const [path, source] of Object.entries(FILES)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), source);
    }
    const [asLinted, asJson] = await Promise.all([
      cruise(fixture),
      cruise(fixture, ["--output-type", "json"]),
    ]);
    lint = asLinted;
    result = JSON.parse(asJson.stdout);
  });

  after(() => {
    if (fixture) rmSync(fixture, { recursive: true, force: true });
  });

  it("is what `pnpm lint` runs", () => {
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts;
    ok(
      scripts["lint:deps"]?.includes(`depcruise ${LINT_ARGS.join(" ")}`),
      `the root script lint:deps must run depcruise ${LINT_ARGS.join(" ")}; it is ${scripts["lint:deps"]}`,
    );
    const turbo = JSON.parse(readFileSync(join(root, "turbo.json"), "utf8"));
    ok(turbo.tasks["//#lint:deps"], "turbo.json declares the root task //#lint:deps");
    ok(
      turbo.tasks.lint?.dependsOn?.includes("//#lint:deps"),
      "every package's lint depends on //#lint:deps, so `turbo run lint` (pnpm lint, npm test) runs it",
    );
  });

  it("fails: a non-zero exit that names every broken rule", () => {
    notEqual(lint.status, 0, `depcruise must exit non-zero on violations:\n${lint.stdout}${lint.stderr}`);
    for (const rule of new Set(EXPECTED.map((line) => line.split(":")[0]))) {
      ok(lint.stdout.includes(`error ${rule}:`), `the lint output names ${rule}:\n${lint.stdout}`);
    }
    ok(
      lint.stdout.includes(`${EXPECTED.length} dependency violations (${EXPECTED.length} errors`),
      lint.stdout,
    );
  });

  it("reports exactly the broken imports, and none of the allowed ones", () => {
    deepStrictEqual(result.summary.violations.map(shown).sort(), EXPECTED);
  });

  it("counts a cycle made of type-only imports", () => {
    const cycle = result.summary.violations.find((v) => v.rule.name === "no-circular");
    ok(cycle, "no cycle reported");
    ok(
      cycle.cycle.every((step) => step.dependencyTypes.includes("type-only")),
      `every step of the cycle is an import type: ${JSON.stringify(cycle.cycle)}`,
    );
  });

  it("resolves workspace imports to the packages' sources, door by door, not to dist/", () => {
    const resolved = new Map();
    for (const module of result.modules) {
      for (const dependency of module.dependencies) {
        if (dependency.module.startsWith("@lattice-cache/"))
          resolved.set(`${module.source} ${dependency.module}`, dependency.resolved);
      }
    }
    const expected = {
      "packages/legacy/src/bridge.ts @lattice-cache/jetstream": "packages/jetstream/src/index.ts",
      "apps/host/src/index.ts @lattice-cache/core/testing": "packages/core/src/testing.ts",
      "packages/core/src/uses-host.ts @lattice-cache/host": "apps/host/src/index.ts",
      "packages/redis/src/redis.test.ts @lattice-cache/test-harness": "tooling/test-harness/src/index.ts",
    };
    for (const [edge, path] of Object.entries(expected)) equal(resolved.get(edge), path, edge);
    ok(
      !result.modules.some((m) => m.source.includes("/dist/") && m.dependencies.length > 0),
      "a dist/ file was cruised",
    );
  });
});
