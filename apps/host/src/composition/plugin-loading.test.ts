// An installed `lattice` loads backend plugins it was not built with, from the user's project: by the name
// `backend` gives (packages @lattice-cache/{name}, then lattice-backend-{name}), or from the packages (or
// package directories) `plugins` names. The plugin's settings then join the configuration — `config print`,
// env variables, flags, `--help`, unknown keys — and its doctor checks run. What cannot be loaded fails
// before anything else with a message that says what to install or which plugin API version is needed.
// Through the real binary, run in a project directory (apps/host/README.md, Backend plugins).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runLattice } from "../test-support/lattice-process.test-helpers.js";
import {
  endpointBinding,
  type FixturePlugin,
  makePluginProject,
} from "../test-support/plugin-project.test-helpers.js";

const A: FixturePlugin = {
  packageName: "lattice-backend-fake-store-a",
  backend: "fake-store-a",
  section: "fakeStoreA",
};
const B: FixturePlugin = {
  packageName: "@fake-scope/lattice-backend-fake-store-b",
  backend: "fake-store-b",
  section: "fakeStoreB",
  exportAs: "default",
};
const C: FixturePlugin = {
  packageName: "fake-store-c-plugin",
  backend: "fake-store-c",
  section: "fakeStoreC",
  at: "plugins/fake-store-c",
};
const OLD: FixturePlugin = {
  packageName: "lattice-backend-fake-store-old",
  backend: "fake-store-old",
  section: "fakeStoreOld",
  apiVersion: 0,
};
const NO_DOOR: FixturePlugin = {
  packageName: "lattice-backend-fake-store-doorless",
  backend: "fake-store-doorless",
  section: "fakeStoreDoorless",
  withoutDoor: true,
};
const OFFICIAL: FixturePlugin = {
  packageName: "@lattice-cache/fake-store-d",
  backend: "fake-store-d",
  section: "fakeStoreD",
};
const MISNAMED: FixturePlugin = {
  packageName: "lattice-backend-fake-store-e",
  backend: "fake-store-other",
  section: "fakeStoreE",
};

let project: ReturnType<typeof makePluginProject>;

beforeAll(() => {
  project = makePluginProject([A, B, C, OLD, NO_DOOR, OFFICIAL, MISNAMED]);
});

afterAll(() => project.dispose());

/** `lattice args…` in the project directory. */
function lattice(args: readonly string[], env: Record<string, string> = {}, cwd = project.dir) {
  return runLattice(args, { cwd, env: cleanEnv(env), timeoutMs: 60_000 });
}

/** The configuration `config print --json` shows. */
async function printed(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const r = await lattice([...args, "config", "print", "--json"], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe("a backend lattice is not built with", () => {
  it("is loaded from lattice-backend-{name} in the project by --backend, LATTICE_BACKEND or the file's backend:", async () => {
    expect(await printed(["--backend", "fake-store-a"])).toMatchObject({
      backend: "fake-store-a",
      fakeStoreA: { endpoint: "fake://default" },
    });
    expect(await printed([], { LATTICE_BACKEND: "fake-store-a" })).toMatchObject({ backend: "fake-store-a" });
    const file = join(project.dir, "lattice.yaml");
    writeFileSync(file, "backend: fake-store-a\nfakeStoreA:\n  endpoint: fake://from-file\n");
    expect(await printed(["--config", file])).toMatchObject({
      backend: "fake-store-a",
      fakeStoreA: { endpoint: "fake://from-file" },
    });
  });

  it("brings its settings: env variable and flag (flag winning), --help, unknown keys caught", async () => {
    const { env, flag } = endpointBinding(A);
    expect(await printed(["--backend=fake-store-a"], { [env]: "fake://env" })).toMatchObject({
      fakeStoreA: { endpoint: "fake://env" },
    });
    expect(
      await printed(["--backend", "fake-store-a", flag, "fake://flag"], { [env]: "fake://env" }),
    ).toMatchObject({ fakeStoreA: { endpoint: "fake://flag" } });
    const help = await lattice(["--backend", "fake-store-a", "--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/--fake-store-a-endpoint <url>\s+where the fake store is/);
    const file = join(project.dir, "typo.yaml");
    writeFileSync(file, "backend: fake-store-a\nfakeStoreA:\n  endpoint: fake://x\n  endpiont: fake://y\n");
    const typo = await lattice(["--config", file, "config", "print"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("fakeStoreA.endpiont");
  });

  it("is the backend doctor checks, with the plugin's own checks", async () => {
    const r = await lattice(["--backend", "fake-store-a", "doctor", "--json"]);
    const checks = JSON.parse(r.stdout) as { name: string; outcome: string; detail: string }[];
    expect(checks).toContainEqual(
      expect.objectContaining({ name: "fake store endpoint", outcome: "pass", detail: "fake://default" }),
    );
    expect(
      checks.filter((c) => c.outcome === "fail"),
      r.stdout,
    ).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("is loaded from @lattice-cache/{name} first, and from the default export too", async () => {
    expect(await printed(["--backend", "fake-store-d"])).toMatchObject({
      fakeStoreD: { endpoint: "fake://default" },
    });
    expect(await printed(["--plugins", B.packageName, "--backend", "fake-store-b"])).toMatchObject({
      backend: "fake-store-b",
      fakeStoreB: { endpoint: "fake://default" },
    });
  });

  it("is loaded from the packages plugins names — a scoped package, a package directory — and from its own directory", async () => {
    const file = join(project.dir, "plugins.yaml");
    writeFileSync(file, `plugins: ["${B.packageName}", ./plugins/fake-store-c]\nbackend: fake-store-c\n`);
    expect(await printed(["--config", file])).toMatchObject({
      backend: "fake-store-c",
      plugins: [B.packageName, "./plugins/fake-store-c"],
      fakeStoreB: { endpoint: "fake://default" },
      fakeStoreC: { endpoint: "fake://default" },
    });
    expect(
      await printed([], { LATTICE_PLUGINS: "./plugins/fake-store-c", LATTICE_BACKEND: "fake-store-c" }),
    ).toMatchObject({
      backend: "fake-store-c",
    });
    // A plugin's own directory: the package it is in counts as installed (as Node lets a package import itself).
    const own = await lattice(
      ["--backend", "fake-store-a", "config", "print", "--json"],
      {},
      join(project.dir, "node_modules", A.packageName),
    );
    expect(own.code, own.stderr).toBe(0);
  });
});

describe("a plugin lattice cannot load", () => {
  it("missing: a configuration error (exit 2) naming the package to install and the built-in backends", async () => {
    const r = await lattice(["--backend", "no-such-store", "linkdefs", "ls"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown backend "no-such-store" (set by flag --backend)');
    expect(r.stderr).toContain("npm install lattice-backend-no-such-store");
    expect(r.stderr).toContain("@lattice-cache/no-such-store");
    expect(r.stderr).toMatch(/not built in \(jetstream, redis, legacy, memory, postgres\)/);
    const missing = await lattice(["config", "print"], { LATTICE_PLUGINS: "@fake-scope/not-installed" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "the plugin package @fake-scope/not-installed (set by env LATTICE_PLUGINS) is not installed",
    );
    expect(missing.stderr).toContain("npm install @fake-scope/not-installed");
  });

  it("built for another plugin API version: PluginLoadError (exit 2) saying which version lattice loads", async () => {
    const r = await lattice(["--backend", "fake-store-old", "config", "print"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "lattice-backend-fake-store-old is a backend plugin for plugin API version 0, but this lattice loads version 1",
    );
  });

  it("no plugin in it: no ./host door, or a plugin of another name", async () => {
    const doorless = await lattice(["--backend", "fake-store-doorless", "config", "print"]);
    expect(doorless.code).toBe(2);
    expect(doorless.stderr).toContain(
      "lattice-backend-fake-store-doorless is not a backend plugin package: it has no ./host door",
    );
    const misnamed = await lattice(["--backend", "fake-store-e", "config", "print"]);
    expect(misnamed.code).toBe(2);
    expect(misnamed.stderr).toContain(
      'lattice-backend-fake-store-e holds the backend plugin "fake-store-other", not "fake-store-e"',
    );
  });
});
