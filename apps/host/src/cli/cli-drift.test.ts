// Issue 28 item 5: what users saw the CLI say that was not so — help without the global flags, errors naming
// settings that do not exist, and an exit code the README does not give. Through the built `lattice`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { disposeAll, freePort, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { FLAG_BINDINGS, OTHER_GLOBAL_FLAGS } from "../config/config-flags.js";
import { HOST_CONFIG_SCHEMA } from "../config/host-config.js";
import { settingsCatalog } from "../config/settings-catalog.js";
import { cleanEnv, killAllLattice, runLattice } from "../test-support/lattice-process.test-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-drift-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Every dotted name in `text` that looks like a setting of the nats section or a jetstream option path. */
function settingNames(text: string): string[] {
  return [...text.matchAll(/\b(?:nats|jetstream)\.[A-Za-z.]*[A-Za-z]/g)].map((m) => m[0]);
}

describe("every command's --help lists the global flags", () => {
  const globalFlags = [...FLAG_BINDINGS.map((b) => b.option), ...OTHER_GLOBAL_FLAGS.map((f) => f.option)];

  it.each([["host"], ["up"], ["linkdefs", "put"], ["status"], ["doctor"]])(
    "lattice %s … --help",
    async (...command) => {
      const r = await runLattice([...command, "--help"], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Global Options:");
      for (const flag of globalFlags) expect(r.stdout, flag).toContain(flag);
    },
  );
});

describe("errors name settings as the user writes them (nats.*, not the jetstream package's option paths)", () => {
  const known = settingsCatalog(HOST_CONFIG_SCHEMA);

  it("doctor's fix for an unreachable NATS names nats.servers, a setting `config` accepts", async () => {
    const port = await freePort();
    const r = await runLattice(["doctor", "--nats-url", `nats://127.0.0.1:${port}`], { env });
    expect(r.code, r.stderr).toBe(1);
    const output = r.stdout + r.stderr;
    expect(output).toContain("nats.servers");
    const named = settingNames(output);
    expect(named.filter((name) => !known.setting(name) && !known.knownKeys[name])).toEqual([]);
  });

  it("a refused login names nats.auth", async () => {
    const nats = await startNatsServer({ config: 'authorization { token: "s3cret-token-value" }' });
    const args = ["--nats-url", nats.url, "--ready-timeout", "5000"];
    const r = await runLattice(["linkdefs", "ls", ...args], {
      env: { ...env, LATTICE_NATS_TOKEN: "wrong-token-value" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nats.auth");
    const named = settingNames(r.stderr);
    expect(named.filter((name) => !known.setting(name) && !known.knownKeys[name])).toEqual([]);
  });
});

describe("NATS without JetStream is an operational error: exit 1, as the README's exit-code table says", () => {
  it("for a one-shot command and for `lattice host`", async () => {
    const nats = await startNatsServer({ jetstream: false });
    const args = ["--nats-url", nats.url, "--http-port", "0"];
    const once = await runLattice(["linkdefs", "ls", ...args], { env });
    expect(once.stderr).toContain("JetStream is not enabled");
    expect(once.code, once.stderr).toBe(1);
    const host = await runLattice(["host", ...args], { env, timeoutMs: 60_000 });
    expect(host.stderr).toContain("JetStream is not enabled");
    expect(host.code, host.stderr).toBe(1);
  });
});
