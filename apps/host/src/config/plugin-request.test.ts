// Which plugins a run asks for is read before its command line is parsed, with the configuration's own
// precedence (file < environment < flags) and names: the settings' variables and flags, --config and
// LATTICE_CONFIG.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HOST_CONFIG_SCHEMA } from "./host-config.js";
import { pluginRequestOf } from "./plugin-request.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-plugin-request-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function request(argv: readonly string[], env: Record<string, string> = {}) {
  return pluginRequestOf(argv, env, HOST_CONFIG_SCHEMA);
}

describe("pluginRequestOf", () => {
  it("reads backend and plugins from the file, the environment and the flags, the flags winning", () => {
    const file = join(dir, "lattice.yaml");
    writeFileSync(file, 'backend: from-file\nplugins: ["@acme/lattice-backend-a"]\n');
    expect(request(["--config", file])).toEqual({
      backend: { value: "from-file", source: `config file ${file}` },
      plugins: { value: ["@acme/lattice-backend-a"], source: `config file ${file}` },
    });
    expect(request([], { LATTICE_CONFIG: file, LATTICE_BACKEND: "from-env" }).backend).toEqual({
      value: "from-env",
      source: "env LATTICE_BACKEND",
    });
    expect(
      request(["linkdefs", "ls", "--backend", "from-flag", `--config=${file}`], {
        LATTICE_BACKEND: "from-env",
      }).backend,
    ).toEqual({ value: "from-flag", source: "flag --backend" });
    expect(request(["--plugins=a,b", "--plugins", "c, d"]).plugins).toEqual({
      value: ["c", "d"],
      source: "flag --plugins",
    });
  });

  it("ignores what follows --, and leaves values the schema refuses to validation", () => {
    expect(request(["claims", "put", "--", "--backend", "x"])).toEqual({});
    expect(request([], { LATTICE_PLUGINS: " , " })).toEqual({});
    expect(request(["--backend"])).toEqual({});
  });
});
