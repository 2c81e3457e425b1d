// End to end: `lattice bridge` as a process between two old (generation-1) hosts and a `lattice host` on
// JetStream, all on one real nats-server.
// Rules cited here: docs/semantics.md#rule-12.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedLegacyHost } from "@lattice-cache/legacy/testing";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";

const PREFIX = "bridged";
const WAIT = { timeoutMs: 30_000 };
const dir = mkdtempSync(join(tmpdir(), "lattice-bridge-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });

let nats: NatsServerHandle;
let oldA: SimulatedLegacyHost;
let oldB: SimulatedLegacyHost;
let bridge: LatticeProcess;
let bridgeUrl: string;
let host: LatticeProcess;
let hostUrl: string;

const lattice = (args: readonly string[]) =>
  runLattice([...args, "--nats-url", nats.url, "--prefix", PREFIX], { env });

async function json<T>(url: string): Promise<T> {
  const r = await httpGet(url);
  return JSON.parse(r.body) as T;
}

interface StatusBody {
  state: string;
  counts: { linkdefs: number; claims: number; refmaps: number };
  bridge?: {
    state: string;
    policy: string;
    bridgeId: string;
    counters: Record<string, number>;
    startupImport: { created: number; failed: number } | null;
  };
}

beforeAll(async () => {
  nats = await startNatsServer();
  oldA = await SimulatedLegacyHost.start({ servers: nats.url, prefix: PREFIX, name: "old-a" });
  oldB = await SimulatedLegacyHost.start({ servers: nats.url, prefix: PREFIX, name: "old-b" });
  // Held by the old fleet before any bridge runs: the bridge's start-up import must bring it over.
  oldA.putRefmap({ oci_url: "ghcr.io/acme/before:1", public_key: "MBEFORE" });
  await oldA.flush();
  await waitFor(() => oldB.refmaps().length === 1, { what: "old-b to hear old-a" });

  bridge = LatticeProcess.start(
    ["bridge", "--nats-url", nats.url, "--prefix", PREFIX, "--http-port", "0", "--host-id", "bridge-1"],
    { env },
  );
  host = LatticeProcess.start(
    ["host", "--nats-url", nats.url, "--prefix", PREFIX, "--http-port", "0", "--host-id", "new-1"],
    { env },
  );
  bridgeUrl = (await bridge.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
  hostUrl = (await host.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
  await bridge.waitForOutput(/^bridge running/m);
  await waitFor(async () => (await httpGet(`${hostUrl}/readyz`)).status === 200, { what: "host ready" });
});

afterAll(async () => {
  await Promise.all([oldA?.stop(), oldB?.stop()]);
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("lattice bridge: bad usage is refused before anything starts (exit 2)", () => {
  it("refuses backend legacy: the broadcast cannot be its own durable side", async () => {
    const r = await runLattice(["bridge", "--backend", "legacy", "--nats-url", "nats://127.0.0.1:1"], {
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('backend is "legacy"');
  });

  it("validates the policy from the flag, the environment and the config file, naming the allowed values", async () => {
    const flag = await runLattice(["bridge", "--policy", "sometimes"], { env });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("bridge.policy");
    expect(flag.stderr).toContain("flag --policy");
    expect(flag.stderr).toContain("allowed values: legacy-wins, durable-wins");
    const fromEnv = await runLattice(["bridge"], { env: { ...env, LATTICE_BRIDGE_POLICY: "old-wins" } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain("env LATTICE_BRIDGE_POLICY");
    const printed = await runLattice(["config", "print", "--json"], {
      env: { ...env, LATTICE_BRIDGE_POLICY: "durable-wins" },
    });
    expect(JSON.parse(printed.stdout)).toMatchObject({ bridge: { policy: "durable-wins" } });
  });
});

describe("rule 12: lattice bridge between two old hosts and a new host on one lattice", () => {
  it("serves /healthz, /readyz and /status with the bridge's own section; imported what old hosts held", async () => {
    expect((await httpGet(`${bridgeUrl}/healthz`)).status).toBe(200);
    expect((await httpGet(`${bridgeUrl}/readyz`)).status).toBe(200);
    const status = await json<StatusBody>(`${bridgeUrl}/status`);
    expect(status.state).toBe("live");
    expect(status.bridge).toMatchObject({
      state: "running",
      policy: "legacy-wins",
      bridgeId: "bridge-1",
      startupImport: { created: 1, failed: 0 },
    });
    expect(bridge.stdout).toMatch(/start-up import from old hosts created 1,/);
    await waitFor(async () => (await json<StatusBody>(`${hostUrl}/status`)).counts.refmaps === 1, {
      ...WAIT,
      what: "the new host to see the imported reference map",
    });
  });

  it("an old host's put appears in the new host's /status counts and in `lattice linkdefs ls`", async () => {
    oldA.putLinkdef({
      actor_id: "MOLD",
      provider_id: "VKV",
      contract_id: "wasmcloud:keyvalue",
      values: { from: "old-a" },
    });
    oldA.putClaims({ sub: "MOLDCLAIMS", name: "old-echo", caps: "wasmcloud:keyvalue" });
    await oldA.flush();
    await waitFor(
      async () => {
        const { counts } = await json<StatusBody>(`${hostUrl}/status`);
        return counts.linkdefs === 1 && counts.claims === 1;
      },
      { ...WAIT, what: "the new host's /status to count the old host's link definition and claims" },
    );
    const ls = await lattice(["linkdefs", "ls", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([
      expect.objectContaining({ actor_id: "MOLD", provider_id: "VKV", values: { from: "old-a" } }),
    ]);
  });

  it("a `lattice linkdefs put` reaches both old hosts' maps", async () => {
    const put = await lattice([
      "linkdefs",
      "put",
      "--actor",
      "MNEW",
      "--provider",
      "VHTTP",
      "--contract",
      "wasmcloud:httpserver",
      "--value",
      "port=8080",
    ]);
    expect(put.code, put.stderr).toBe(0);
    for (const old of [oldA, oldB]) {
      await waitFor(() => old.linkdefs().some((l) => l.actor_id === "MNEW" && l.values.port === "8080"), {
        ...WAIT,
        what: `${old.name} to hear the new host's link definition`,
      });
    }
  });

  it("the lattice-wide audit hears the bridge like a host, in agreement with the new host", async () => {
    const r = await lattice(["status", "--hosts", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { hosts } = JSON.parse(r.stdout) as {
      hosts: { hostId: string; backend: string; digest: string }[];
    };
    expect(hosts.map((h) => [h.hostId, h.backend])).toEqual([
      ["bridge-1", "jetstream"],
      ["new-1", "jetstream"],
    ]);
    expect(hosts[0]?.digest).toBe(hosts[1]?.digest);
  });

  it("an old host restarting (the other one gone) gets the full state, answered by the bridge", async () => {
    await oldA.stop();
    await oldB.restart();
    expect(oldB.linkdefs().map((l) => l.actor_id)).toEqual(["MNEW", "MOLD"]);
    expect(oldB.claims().map((c) => [c.sub, c.name])).toEqual([["MOLDCLAIMS", "old-echo"]]);
    expect(oldB.refmaps()).toEqual([{ oci_url: "ghcr.io/acme/before:1", public_key: "MBEFORE" }]);
    const { bridge: section } = await json<StatusBody>(`${bridgeUrl}/status`);
    expect(section?.counters.answeredGets).toBeGreaterThanOrEqual(3);
  });

  it("/metrics has the host's metrics and the bridge's counters (imported > 0)", async () => {
    const { body, contentType } = await httpGet(`${bridgeUrl}/metrics`);
    expect(contentType).toContain("text/plain");
    expect(body).toMatch(/^lattice_cache_entries\{collection="linkdefs"\} 2$/m);
    expect(Number(/^lattice_bridge_imported_total (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/^lattice_bridge_broadcast_total (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^lattice_bridge_answered_gets_total (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(3);
    for (const name of [
      "skipped_by_policy",
      "skipped_unchanged",
      "superseded",
      "invalid",
      "failed",
      "ignored_bridged",
      "unbroadcastable",
    ]) {
      expect(body).toMatch(new RegExp(`^# TYPE lattice_bridge_${name}_total counter$`, "m"));
    }
    expect(body).toMatch(/^lattice_bridge_running 1$/m);
    expect(body).toMatch(/^lattice_bridge_info\{bridge_id="bridge-1",policy="legacy-wins"\} 1$/m);
  });

  it("SIGTERM stops the bridge cleanly: exit 0", async () => {
    bridge.signal("SIGTERM");
    const stopped = await bridge.finished();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toContain("SIGTERM: stopping the bridge");
    expect(stopped.stderr).toContain("bridge stopped");
    host.signal("SIGTERM");
    expect((await host.finished()).code).toBe(0);
  });
});
