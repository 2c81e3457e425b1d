// End to end: the built `lattice` binary against a real nats-server, one process per command.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkdefKey } from "@lattice-cache/core";
import {
  disposeAll,
  freePort,
  type NatsServerHandle,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";

let nats: NatsServerHandle;
const dir = mkdtempSync(join(tmpdir(), "lattice-cli-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** `lattice` against the harness server with a test-specific prefix. */
function lattice(prefix: string, args: readonly string[], extraEnv: Record<string, string> = {}) {
  return runLattice([...args, "--nats-url", nats.url, "--prefix", prefix], { env: { ...env, ...extraEnv } });
}

describe("config print: file < environment < flags, secrets masked", () => {
  const path = file(
    "lattice.yaml",
    "backend: redis\nprefix: fromfile\nhttp:\n  port: 9001\nhostId: file-host\n",
  );

  it("merges the three sources with flags winning, then env, then the file", async () => {
    const r = await runLattice(["config", "print", "--json", "--config", path, "--http-port", "9003"], {
      env: { ...env, LATTICE_PREFIX: "fromenv", LATTICE_HTTP_PORT: "9002" },
    });
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({
      backend: "redis",
      prefix: "fromenv",
      hostId: "file-host",
      http: { port: 9003 },
      configFile: path,
    });
  });

  it("prints YAML by default", async () => {
    const r = await runLattice(["config", "print", "--config", path], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("backend: redis");
    expect(r.stdout).toContain("prefix: fromfile");
    expect(r.stdout).toContain("port: 9001");
  });

  it("never prints a password, token or nkey seed, in YAML or JSON", async () => {
    const secrets = {
      LATTICE_NATS_USER: "ann",
      LATTICE_NATS_PASSWORD: "hunter2-nats",
      LATTICE_REDIS_PASSWORD: "swordfish-redis",
      LATTICE_REDIS_URL: "redis://ann:in-url-secret@127.0.0.1:6390",
    };
    for (const args of [
      ["config", "print"],
      ["config", "print", "--json"],
    ]) {
      const r = await runLattice(args, { env: { ...env, ...secrets } });
      expect(r.code, r.stderr).toBe(0);
      for (const secret of ["hunter2-nats", "swordfish-redis", "in-url-secret"]) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
      expect(r.stdout).toContain("***");
      expect(r.stdout).toContain("ann");
    }
  });
});

describe("exit code 2: bad usage", () => {
  it("names the field and the allowed values of an invalid setting", async () => {
    // (An unknown backend name is looked for as a plugin package: plugin-loading.test.ts.)
    const r = await runLattice(["status"], { env: { ...env, LATTICE_CREATE_LATTICE: "sometimes" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("createLattice");
    expect(r.stderr).toContain("env LATTICE_CREATE_LATTICE");
    expect(r.stderr).toContain("allowed values: auto, always, never");
  });

  it("names the field of a bad config file entry", async () => {
    const path = file("typo.yaml", "nats:\n  bucket:\n    storage: sometimes\n");
    const r = await runLattice(["status", "--config", path], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nats.bucket.storage");
    expect(r.stderr).toContain("allowed values: file, memory");
  });

  it("rejects unknown commands, unknown options, bad choices and missing arguments", async () => {
    const runs = await Promise.all([
      runLattice(["frobnicate"], { env }),
      runLattice(["linkdefs", "ls", "--bogus"], { env }),
      runLattice(["status", "--log-level", "loud"], { env }),
      runLattice(["linkdefs", "put", "--actor", "Mbob"], { env }),
      runLattice(["watch", "everything"], { env }),
      runLattice(
        ["linkdefs", "put", "--actor", "A", "--provider", "P", "--contract", "C", "--value", "novalue"],
        { env },
      ),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/error|invalid/i);
    }
    expect(runs[2]?.stderr).toContain("debug");
    expect(runs[4]?.stderr).toContain("linkdefs, claims, refmaps");
  });

  it("exits 0 for --help and --version", async () => {
    const [help, version] = await Promise.all([
      runLattice(["--help"], { env }),
      runLattice(["--version"], { env }),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("linkdefs");
    expect(version.code).toBe(0);
  });
});

describe("one process writes, other processes and a running host see it", () => {
  it("put → ls/get from other processes, the host's /status and /metrics, watch, del → exit 3", async () => {
    const prefix = "e2e";
    const host = LatticeProcess.start(
      ["host", "--http-port", "0", "--nats-url", nats.url, "--prefix", prefix],
      { env },
    );
    const [, url] = (await host.waitForOutput(
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    )) as RegExpMatchArray;
    await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 200, { what: "host /readyz 200" });

    const watch = LatticeProcess.start(
      ["watch", "linkdefs", "--json", "--nats-url", nats.url, "--prefix", prefix],
      { env },
    );
    await watch.waitForOutput(/watching linkdefs/, { stream: "stderr" });

    const put = await lattice(prefix, [
      "linkdefs",
      "put",
      "--actor",
      "Mbob",
      "--provider",
      "Vprov",
      "--contract",
      "wasmcloud:keyvalue",
      "--value",
      "bucket=b1",
      "--value",
      "ttl=5",
      "--json",
    ]);
    expect(put.code, put.stderr).toBe(0);
    const written = JSON.parse(put.stdout) as { key: string; revision: number };
    expect(written.key).toBe(linkdefKey("Mbob", "wasmcloud:keyvalue", "default"));
    expect(written.revision).toBeGreaterThan(0);

    const expected = {
      id: written.key.slice("LINKDEF_".length),
      actor_id: "Mbob",
      provider_id: "Vprov",
      link_name: "default",
      contract_id: "wasmcloud:keyvalue",
      values: { bucket: "b1", ttl: "5" },
    };
    const [ls, get, byActor, byOtherProvider, text] = await Promise.all([
      lattice(prefix, ["linkdefs", "ls", "--json"]),
      lattice(prefix, ["linkdefs", "get", "--actor", "Mbob", "--contract", "wasmcloud:keyvalue", "--json"]),
      lattice(prefix, ["linkdefs", "ls", "--actor", "Mbob", "--json"]),
      lattice(prefix, ["linkdefs", "ls", "--provider", "Vother", "--json"]),
      lattice(prefix, ["linkdefs", "ls"]),
    ]);
    expect(JSON.parse(ls.stdout)).toEqual([expected]);
    expect(JSON.parse(get.stdout)).toEqual(expected);
    expect(JSON.parse(byActor.stdout)).toEqual([expected]);
    expect(JSON.parse(byOtherProvider.stdout)).toEqual([]);
    expect(text.stdout).toMatch(/ACTOR\s+PROVIDER\s+CONTRACT/);
    expect(text.stdout).toMatch(/Mbob\s+Vprov\s+wasmcloud:keyvalue\s+default\s+bucket=b1, ttl=5/);

    const change = await watch.waitForOutput(/^\{.*"operation":"put".*\}$/m);
    expect(JSON.parse(change[0])).toMatchObject({
      collection: "linkdefs",
      key: written.key,
      revision: written.revision,
      value: expected,
    });

    const claimsFile = file(
      "claims.json",
      JSON.stringify({
        sub: "MBCFOPM6JW2APJLXJD3Z5O4",
        name: "echo",
        iss: "AISSUER",
        caps: ["wasmcloud:httpserver", "wasmcloud:keyvalue"],
        rev: 3,
      }),
    );
    const [claimsPut, refmapPut] = await Promise.all([
      lattice(prefix, ["claims", "put", "--file", claimsFile]),
      lattice(prefix, ["refmaps", "put", "ghcr.io/acme/echo:0.1.0", "MBCFOPM6JW2APJLXJD3Z5O4"]),
    ]);
    expect(claimsPut.code, claimsPut.stderr).toBe(0);
    expect(claimsPut.stdout).toMatch(/^put CLAIMS_MBCFOPM6JW2APJLXJD3Z5O4 \(revision \d+\)/);
    expect(refmapPut.code, refmapPut.stderr).toBe(0);
    const [claimsGet, refmapsLs] = await Promise.all([
      lattice(prefix, ["claims", "get", "MBCFOPM6JW2APJLXJD3Z5O4", "--json"]),
      lattice(prefix, ["refmaps", "ls", "--json"]),
    ]);
    expect(JSON.parse(claimsGet.stdout)).toEqual({
      call_alias: "",
      iss: "AISSUER",
      name: "echo",
      caps: "wasmcloud:httpserver,wasmcloud:keyvalue",
      rev: "3",
      tags: "",
      version: "",
      sub: "MBCFOPM6JW2APJLXJD3Z5O4",
    });
    expect(JSON.parse(refmapsLs.stdout)).toEqual([
      { oci_url: "ghcr.io/acme/echo:0.1.0", public_key: "MBCFOPM6JW2APJLXJD3Z5O4" },
    ]);

    const status = await waitFor(
      async () => {
        const body = JSON.parse((await httpGet(`${url}/status`)).body) as {
          counts: Record<string, number>;
          state: string;
          digest: string;
        };
        return body.counts.linkdefs === 1 && body.counts.claims === 1 && body.counts.refmaps === 1
          ? body
          : undefined;
      },
      { what: "the host's /status to count the three writes" },
    );
    expect(status).toMatchObject({
      state: "live",
      backend: "jetstream",
      prefix,
      counts: { linkdefs: 1, claims: 1, refmaps: 1 },
    });
    expect(status).toHaveProperty("digest");
    const metrics = await httpGet(`${url}/metrics`);
    expect(metrics.contentType).toContain("text/plain");
    expect(metrics.body).toMatch(/^lattice_cache_entries\{collection="linkdefs"\} 1$/m);
    expect(metrics.body).toMatch(/^lattice_cache_state\{state="live"\} 1$/m);
    expect(metrics.body).toMatch(/^lattice_cache_revision [1-9]\d*$/m);

    const statusCli = await lattice(prefix, ["status", "--json"]);
    expect(JSON.parse(statusCli.stdout)).toMatchObject({
      state: "live",
      counts: { linkdefs: 1, claims: 1, refmaps: 1 },
      digest: status.digest,
    });

    const del = await lattice(prefix, [
      "linkdefs",
      "del",
      "--actor",
      "Mbob",
      "--contract",
      "wasmcloud:keyvalue",
    ]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toMatch(/^deleted LINKDEF_/);
    await watch.waitForOutput(/"operation":"delete"/);
    const again = await lattice(prefix, [
      "linkdefs",
      "get",
      "--actor",
      "Mbob",
      "--contract",
      "wasmcloud:keyvalue",
    ]);
    expect(again.code).toBe(3);

    watch.signal("SIGINT");
    expect((await watch.finished()).code).toBe(0);
    host.signal("SIGTERM");
    const stopped = await host.finished();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toContain("host stopped");
  });
});

describe("exit code 3: the requested entry does not exist", () => {
  it("for get and del in every collection", async () => {
    const prefix = "missing";
    // The lattice exists (read-only commands on a missing lattice fail too, with exit 3: missing-lattice.test.ts).
    const created = await lattice(prefix, ["refmaps", "put", "ghcr.io/acme/other:1", "Mother"]);
    expect(created.code, created.stderr).toBe(0);
    const runs = await Promise.all([
      lattice(prefix, ["linkdefs", "get", "--actor", "Mnobody", "--contract", "wasmcloud:none"]),
      lattice(prefix, [
        "linkdefs",
        "del",
        "--actor",
        "Mnobody",
        "--contract",
        "wasmcloud:none",
        "--link-name",
        "other",
      ]),
      lattice(prefix, ["claims", "get", "MNOBODY"]),
      lattice(prefix, ["claims", "del", "MNOBODY"]),
      lattice(prefix, ["refmaps", "get", "ghcr.io/acme/none:1"]),
      lattice(prefix, ["refmaps", "del", "ghcr.io/acme/none:1"]),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^lattice: no (linkdefs|claims|refmaps) entry/);
    }
  });
});

describe("when the server is down, commands fail fast with exit 1", () => {
  it("a one-shot command names what it could not reach", async () => {
    const port = await freePort();
    const r = await runLattice(["linkdefs", "ls", "--nats-url", `nats://127.0.0.1:${port}`], {
      env: { ...env, LATTICE_CONNECT_TIMEOUT_MS: "1500" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach NATS at nats://127.0.0.1:${port}`);
    expect(r.durationMs).toBeLessThan(15_000);
  });

  it("doctor reports the failed check with a fix and exits 1", async () => {
    const port = await freePort();
    const r = await runLattice(["doctor", "--nats-url", `nats://127.0.0.1:${port}`], {
      env: { ...env, LATTICE_CONNECT_TIMEOUT_MS: "1500" },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ NATS reachable: .*127\.0\.0\.1/);
    expect(r.stdout).toContain("fix:");
  });
});

describe("lattice host cannot listen", () => {
  it("exits 1 naming the HTTP problem when the port is taken", async () => {
    const { createServer } = await import("node:net");
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    try {
      const r = await runLattice(["host", "--backend", "memory", "--http-port", String(port)], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("cannot listen for HTTP");
      expect(r.stderr).toContain("--http-port");
    } finally {
      taken.close();
    }
  });
});

describe("doctor against a healthy server", () => {
  it("passes, warning about the 2.9 server and about a single replica", async () => {
    const created = await lattice("doctor", ["refmaps", "put", "ghcr.io/acme/doctor:1", "Mdoctor"]);
    expect(created.code, created.stderr).toBe(0);
    const r = await lattice("doctor", ["doctor"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('✔ lattice: lattice "doctor" exists');
    expect(r.stdout).toContain("✔ NATS reachable");
    expect(r.stdout).toContain("✔ JetStream enabled");
    expect(r.stdout).toContain("✔ initial sync");
    expect(r.stdout).toMatch(/! server version: nats-server 2\.9\.\d+ is older than 2\.10/);
    expect(r.stdout).toMatch(/! bucket replicas: (will be created with )?1 replica/);
    const json = await lattice("doctor", ["doctor", "--json"]);
    const checks = JSON.parse(json.stdout) as { name: string; outcome: string }[];
    expect(checks.every((c) => c.outcome !== "fail")).toBe(true);
    expect(checks.map((c) => c.name)).toContain("bucket storage");
  });
});
