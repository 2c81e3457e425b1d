// Issue 27 ("the host trusts no peer") on the NATS status subject, over a real nats-server: a request may name
// only an inbox as its reply subject (item 1), what a requester keeps of the answers is bounded (item 2), and
// with a status secret only signed answers count toward the split-brain verdict (item 5).
import { linkdefKey } from "@lattice-cache/core";
import type { HostStatusReport, StatusBus } from "@lattice-cache/plugin";
import { natsStatusSubject } from "@lattice-cache/plugin/nats";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { createHostContainer } from "../composition/host-container.js";
import { METRICS, resolveToken, STATUS_BUS_FACTORY } from "../composition/tokens.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { HostRuntime } from "../runtime/host-runtime.js";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import { type AuditedHost, auditLattice } from "./lattice-audit.js";

const SECRET = "issue-27-lattice-status-secret";
const runtimes: HostRuntime[] = [];
const clients: NatsConnection[] = [];
let nats: NatsServerHandle;

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await Promise.all(runtimes.map((r) => r.stop()));
  await killAllLattice();
  await disposeAll();
});

/** An in-process jetstream host with quiet logs and a free HTTP port. */
async function startHost(prefix: string, hostId: string, env: Record<string, string> = {}) {
  const config = loadConfig({
    // Each test's lattice beside the others on the shared server: created explicitly.
    flags: { natsUrl: nats.url, prefix, hostId, httpPort: "0", createLattice: "always" },
    env,
    backends: ["jetstream"],
  });
  const runtime = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(HostRuntime);
  runtimes.push(runtime);
  const address = await runtime.start();
  await runtime.answering();
  return { runtime, url: address.url, cache: await runtime.ready(20_000) };
}

/** A raw NATS client of the test (nobody's host). */
async function rawClient(name: string): Promise<NatsConnection> {
  const nc = await connect({ servers: nats.url, name });
  clients.push(nc);
  return nc;
}

/** A raw client answering every status request of `prefix` with what `answers` makes of the request. */
async function fakeResponder(prefix: string, answers: (request: string) => string[]): Promise<void> {
  const nc = await rawClient("fake-responder");
  nc.subscribe(natsStatusSubject(prefix), {
    callback: (error, msg) => {
      if (error || !msg.reply) return;
      for (const answer of answers(msg.string())) nc.publish(msg.reply, answer);
    },
  });
  await nc.flush();
}

/** A status answer as a host would send it, unsigned. */
function answer(hostId: string, fields: Partial<HostStatusReport> = {}): string {
  const report: HostStatusReport = {
    hostId,
    backend: "jetstream",
    prefix: "p",
    state: "live",
    ordered: true,
    revision: 1,
    backendRevision: 1,
    digest: "d-fake",
    counts: { linkdefs: 0, claims: 0, refmaps: 0 },
    staleForMs: 0,
    version: "0.1.0",
    http: null,
    ...fields,
  };
  return JSON.stringify(report);
}

/** The value of one sample of the host's /metrics, 0 when absent. */
async function metricValue(url: string, sample: string): Promise<number> {
  const body = (await httpGet(`${url}/metrics`)).body;
  const line = body.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

const statusHosts = (prefix: string, extra: string[] = [], env: Record<string, string> = {}) =>
  runLattice(["status", "--hosts", ...extra, "--nats-url", nats.url, "--prefix", prefix], {
    env: cleanEnv(env),
  });

describe("issue 27 item 1: hosts answer only on inbox reply subjects", () => {
  it("a request whose reply subject is a KV key ($KV.LATTICEDATA_x.LINKDEF_…) leaves the key untouched and is counted; `status --hosts` still works", async () => {
    const prefix = "deputy";
    const { url, cache } = await startHost(prefix, "deputy-a");
    const link = {
      actor_id: "Mvictim",
      provider_id: "Vprovider",
      contract_id: "wasmcloud:keyvalue",
      link_name: "default",
      values: { URL: "redis://kept" },
    };
    const { revision } = await cache.linkdefs.put(link);
    const subject = `$KV.LATTICEDATA_${prefix}.${linkdefKey(link.actor_id, link.contract_id, link.link_name)}`;

    // A client allowed only to publish on the status subject names the key as its reply subject.
    const mallory = await rawClient("mallory");
    mallory.publish(natsStatusSubject(prefix), JSON.stringify({ requester: "mallory" }), { reply: subject });
    await mallory.flush();

    const audit = await statusHosts(prefix, ["--json"]);
    expect(audit.code, audit.stderr).toBe(EXIT_CODES.success);
    expect((JSON.parse(audit.stdout) as { hosts: AuditedHost[] }).hosts.map((h) => h.hostId)).toEqual([
      "deputy-a",
    ]);

    // The host answered the CLI after the request before it; a write now orders after anything it sent.
    const later = await cache.refmaps.put({ oci_url: "ghcr.io/acme/later:1", public_key: "MLATER" });
    await cache.waitForRevision(later.revision);
    const stored = await (await jetstreamManager(mallory)).streams.getMessage(`KV_LATTICEDATA_${prefix}`, {
      last_by_subj: subject,
    });
    expect(stored?.seq).toBe(revision);
    expect(stored?.json()).toMatchObject({ actor_id: "Mvictim", values: { URL: "redis://kept" } });
    expect(cache.linkdefs.get(link)?.values).toEqual({ URL: "redis://kept" });
    expect(
      await metricValue(url, 'lattice_cache_status_rejected_total{channel="nats",reason="reply-to"}'),
    ).toBe(1);
  });
});

describe("issue 27 item 2: what a NATS requester keeps is bounded", () => {
  it("a flood of answers and an oversized answer are dropped, reported and counted, never kept", async () => {
    const prefix = "flood";
    const { url } = await startHost(prefix, "flood-a");
    const flood = Array.from({ length: 1100 }, (_, i) => answer(`fake-${String(i).padStart(4, "0")}`));
    await fakeResponder(prefix, () => [answer("huge", { version: "v".repeat(20_000) }), ...flood]);

    // A requester (as `lattice status --hosts` is one): the bus of a container with the host's settings.
    const config = loadConfig({
      flags: { natsUrl: nats.url, prefix, hostId: "auditor" },
      env: {},
      backends: ["jetstream"],
    });
    const container = createHostContainer(config, { logger: createHostLogger("silent") });
    const bus = resolveToken(container, STATUS_BUS_FACTORY)() as StatusBus;
    const audit = auditLattice(await bus.gather(1500).finally(() => bus.close()));
    expect(audit.hosts.length).toBeLessThanOrEqual(1024);
    expect(audit.hosts.some((h) => h.hostId === "huge")).toBe(false);
    expect(audit.notes).toContainEqual(expect.stringMatching(/^refused 1 answer over 16384 bytes/));
    expect(audit.notes).toContainEqual(expect.stringMatching(/^refused \d+ answers beyond the first 1024/));
    const requesterMetrics = await resolveToken(container, METRICS).render();
    expect(requesterMetrics).toMatch(
      /^lattice_cache_status_rejected_total\{channel="nats",reason="flood"\} [1-9]/m,
    );

    // The host's own Lattice view gathers too: what it refuses shows in its /metrics, and the view stays bounded.
    const view = await waitFor(
      async () => {
        const lattice = JSON.parse((await httpGet(`${url}/lattice`)).body) as { hosts: unknown[] };
        const flooded = await metricValue(
          url,
          'lattice_cache_status_rejected_total{channel="nats",reason="flood"}',
        );
        const oversized = await metricValue(
          url,
          'lattice_cache_status_rejected_total{channel="nats",reason="oversized"}',
        );
        return flooded > 0 && oversized > 0 ? lattice : undefined;
      },
      { timeoutMs: 30_000, what: "flood-a to count the refused answers in /metrics" },
    );
    expect(view.hosts.length).toBeLessThanOrEqual(256);
  });
});

describe("issue 27 item 5: with a status secret, only signed answers count toward the verdict", () => {
  const prefix = "signed";
  let revision = 0;
  let digest = "";

  beforeAll(async () => {
    const a = await startHost(prefix, "sig-a", { LATTICE_STATUS_SECRET: SECRET });
    const b = await startHost(prefix, "sig-b", { LATTICE_STATUS_SECRET: SECRET });
    ({ revision } = await a.cache.refmaps.put({ oci_url: "ghcr.io/acme/signed:1", public_key: "MSIGNED" }));
    await b.cache.waitForRevision(revision);
    digest = a.cache.status().digest;
    // Mallory answers every request as a host at the same revision with a divergent digest.
    await fakeResponder(prefix, () => [
      answer("mallory", { prefix, revision, backendRevision: revision, digest: "forged-digest" }),
    ]);
  });

  it("a fake responder's forged digest does not make `status --hosts` exit 4 when the requester has the secret", async () => {
    const json = await statusHosts(prefix, ["--json"], { LATTICE_STATUS_SECRET: SECRET });
    expect(json.code, json.stderr).toBe(EXIT_CODES.success);
    const listed = (JSON.parse(json.stdout) as { hosts: (AuditedHost & { verified: boolean })[] }).hosts;
    expect(listed.map((h) => [h.hostId, h.verified, h.digest, h.splitBrainWith])).toEqual([
      ["mallory", false, "forged-digest", []],
      ["sig-a", true, digest, []],
      ["sig-b", true, digest, []],
    ]);

    const table = await statusHosts(prefix, [], { LATTICE_STATUS_SECRET: SECRET });
    expect(table.code, table.stderr).toBe(EXIT_CODES.success);
    expect(table.stdout).toMatch(/^mallory\s.*\sunverified$/m);
    expect(table.stdout).toContain(
      "answers checked with the status secret: 2 verified, 1 unverified (unsigned or wrongly signed: listed, never compared, so they cannot cause or hide a SPLIT BRAIN)",
    );
  });

  it("without a secret the same forgery still counts (exit 4), and the output says plainly that answers are unverified", async () => {
    const table = await statusHosts(prefix);
    expect(table.code).toBe(EXIT_CODES.splitBrain);
    expect(table.stdout).toContain(
      "answers are unverified: no status secret is configured (status.secret), so anyone who may publish on the status channel can forge them",
    );
    const json = await statusHosts(prefix, ["--json"]);
    expect(json.code).toBe(EXIT_CODES.splitBrain);
    const listed = (JSON.parse(json.stdout) as { hosts: (AuditedHost & { verified: boolean })[] }).hosts;
    expect(listed.map((h) => h.verified)).toEqual([false, false, false]);
  });
});
