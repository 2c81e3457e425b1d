// `lattice status --hosts` knows the fleet it expects (issue 28 item 3), end to end: spawned `lattice host`
// processes on a real nats-server. `--expect N` and `--expect-hosts a,b,c` exit 5 naming the hosts missing or
// unexpected; two hosts answering under one id exit 5 without any flag; each host's version is a table
// column and a label of `lattice_cache_info`; a fleet of legacy and jetstream hosts is summed up per backend,
// never as "same digest".
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusHostsJson } from "../cli/audit-output.js";
import { EXIT_CODES } from "../cli/exit-codes.js";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import { LATTICE_VERSION } from "../version.js";

let nats: NatsServerHandle;
const env = cleanEnv();

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
});

/** Spawns `lattice host` on `prefix` and resolves once it answers status requests, with its HTTP URL. */
async function startHost(prefix: string, hostId: string, backend = "jetstream") {
  const process = LatticeProcess.start(
    [
      "host",
      "--backend",
      backend,
      "--nats-url",
      nats.url,
      "--prefix",
      prefix,
      "--host-id",
      hostId,
      "--http-port",
      "0",
    ],
    { env },
  );
  const url = (await process.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
  await process.waitForOutput(/answering status requests/, { stream: "stderr" });
  return { process, url };
}

const audit = (prefix: string, ...extra: string[]) =>
  runLattice(["status", "--hosts", ...extra, "--nats-url", nats.url, "--prefix", prefix], { env });

describe("the fleet `status --hosts` expects", () => {
  const prefix = "fleet";
  const hosts: Record<string, { process: LatticeProcess; url: string }> = {};

  beforeAll(async () => {
    for (const id of ["fleet-a", "fleet-b", "fleet-c"]) hosts[id] = await startHost(prefix, id);
  });

  it("every expected host answering exits 0, with each host's version in the table and in --json", async () => {
    const table = await audit(prefix, "--expect", "3");
    expect(table.code, table.stderr).toBe(EXIT_CODES.success);
    expect(table.stdout).toMatch(/^HOST\s+BACKEND\s+STATE\s.*\sVERSION\s+HTTP\s+FLAG$/m);
    for (const id of ["fleet-a", "fleet-b", "fleet-c"]) {
      expect(table.stdout).toMatch(
        new RegExp(
          `^${id}\\s+jetstream\\s+live\\s.*\\s${LATTICE_VERSION.replace(/\./g, "\\.")}\\s+http://`,
          "m",
        ),
      );
    }
    expect(table.stdout).toContain("3 of 3 expected hosts answered");

    const json = await audit(prefix, "--json", "--expect-hosts", "fleet-c,fleet-a,fleet-b");
    expect(json.code, json.stderr).toBe(EXIT_CODES.success);
    const parsed = JSON.parse(json.stdout) as StatusHostsJson;
    expect(parsed.hosts.map((h) => [h.hostId, h.version])).toEqual([
      ["fleet-a", LATTICE_VERSION],
      ["fleet-b", LATTICE_VERSION],
      ["fleet-c", LATTICE_VERSION],
    ]);
    expect(parsed.fleet).toEqual({
      expected: 3,
      answered: 3,
      missing: [],
      unexpected: [],
      duplicated: [],
      ok: true,
    });
  });

  it("each host's version is a label of lattice_cache_info", async () => {
    const metrics = (await httpGet(`${hosts["fleet-a"]?.url}/metrics`)).body;
    expect(metrics).toMatch(
      new RegExp(
        `^lattice_cache_info\\{host_id="fleet-a",backend="jetstream",prefix="fleet",version="${LATTICE_VERSION}"\\} 1$`,
        "m",
      ),
    );
  });

  it("with one of three hosts killed, --expect 3 and --expect-hosts exit 5 naming the missing host", async () => {
    hosts["fleet-c"]?.process.signal("SIGKILL");
    await hosts["fleet-c"]?.process.finished();

    const counted = await audit(prefix, "--expect", "3");
    expect(counted.code, counted.stderr).toBe(EXIT_CODES.fleetMismatch);
    expect(counted.stderr).toMatch(/^lattice: 2 hosts answered, 3 expected$/m);
    expect(counted.stdout).not.toContain("all hosts are live");

    const strict = await audit(prefix, "--expect", "3", "--strict");
    expect(strict.code, strict.stderr).toBe(EXIT_CODES.fleetMismatch);

    const named = await audit(prefix, "--expect-hosts", "fleet-a,fleet-b,fleet-c");
    expect(named.code, named.stderr).toBe(EXIT_CODES.fleetMismatch);
    expect(named.stderr).toMatch(/^lattice: .*missing: fleet-c/m);
    expect(named.stdout).toContain("missing: fleet-c");

    const json = await audit(prefix, "--json", "--expect-hosts", "fleet-a,fleet-c,fleet-z");
    expect(json.code, json.stderr).toBe(EXIT_CODES.fleetMismatch);
    expect((JSON.parse(json.stdout) as StatusHostsJson).fleet).toMatchObject({
      expected: 3,
      answered: 2,
      missing: ["fleet-c", "fleet-z"],
      unexpected: ["fleet-b"],
      duplicated: [],
      ok: false,
    });
  });

  it("a fleet of jetstream and legacy hosts is summed up per backend, never as the same digest", async () => {
    await startHost(prefix, "fleet-legacy", "legacy");
    const put = await runLattice(
      ["refmaps", "put", "ghcr.io/acme/fleet:1", "MFLEET", "--nats-url", nats.url, "--prefix", prefix],
      { env },
    );
    expect(put.code, put.stderr).toBe(0);
    const revision = Number(/revision (\d+)/.exec(put.stdout)?.[1]);
    for (const id of ["fleet-a", "fleet-b"]) {
      await waitFor(
        async () => JSON.parse((await httpGet(`${hosts[id]?.url}/status`)).body).revision >= revision,
        { what: `${id} to apply revision ${revision}` },
      );
    }

    const table = await audit(prefix);
    expect(table.code, table.stderr).toBe(EXIT_CODES.success);
    expect(table.stdout).not.toContain("same digest");
    expect(table.stdout).toContain(
      "hosts of different backends answered: their revisions and digests are not comparable",
    );
    expect(table.stdout).toMatch(new RegExp(`2 jetstream hosts agree at revision ${revision}, digest \\w+`));
    expect(table.stdout).toMatch(/1 legacy host: revisions not comparable with jetstream/);

    const json = JSON.parse((await audit(prefix, "--json")).stdout) as StatusHostsJson;
    expect(json.groups.map((g) => [g.backend, g.hostIds, g.ordered])).toEqual([
      ["jetstream", ["fleet-a", "fleet-b"], true],
      ["legacy", ["fleet-legacy"], false],
    ]);
  });
});

describe("two hosts answering under one id", () => {
  it("exit 5 naming the id, without any flag", async () => {
    await startHost("dup", "twin");
    await startHost("dup", "twin");
    const r = await audit("dup");
    expect(r.code, r.stderr).toBe(EXIT_CODES.fleetMismatch);
    expect(r.stderr).toMatch(
      /^lattice: duplicated: twin \(more than one host answered under the same id\)$/m,
    );
    expect(r.stdout).toContain("duplicated: twin");
    const json = await audit("dup", "--json");
    expect(json.code).toBe(EXIT_CODES.fleetMismatch);
    expect((JSON.parse(json.stdout) as StatusHostsJson).fleet.duplicated).toEqual(["twin"]);
  });
});
