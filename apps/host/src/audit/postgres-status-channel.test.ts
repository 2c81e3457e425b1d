// `lattice status --hosts` with `backend: postgres`: hosts answer on PostgreSQL NOTIFY (a spawned `lattice host`
// and one in this process, audited by the spawned CLI), a wrong password is refused, answers out of bounds
// (issue 27: `parts: 4294967295`, oversized parts, a long host id) are refused and counted; with
// `postgres.statusChannel: nats` they answer on the NATS subject instead. The channel itself (answers in
// parts, channel names, a restarted server): packages/postgres/src/host/postgres-status-bus.test.ts.

import { UNCOUNTED_REJECTIONS } from "@lattice-cache/plugin";
import { PostgresStatusBus, postgresStatusChannels } from "@lattice-cache/postgres/host";
import {
  disposeAll,
  type NatsServerHandle,
  type PostgresServerHandle,
  startNatsServer,
  startPostgresServer,
  waitFor,
} from "@lattice-cache/test-harness";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { createHostContainer } from "../composition/host-container.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { HostRuntime } from "../runtime/host-runtime.js";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import type { AuditedHost } from "./lattice-audit.js";
import { statusAnswer } from "./status-answer.test-helpers.js";

const quiet = createHostLogger("silent");
const runtimes: HostRuntime[] = [];
const clients: pg.Client[] = [];
let server: PostgresServerHandle;

beforeAll(async () => {
  server = await startPostgresServer();
});

afterAll(async () => {
  await Promise.all([...runtimes.map((r) => r.stop()), ...clients.map((c) => c.end().catch(() => {}))]);
  await killAllLattice();
  await disposeAll();
});

/** An in-process host on postgres with quiet logs and a free HTTP port. */
async function startRuntime(flags: Record<string, string>, env: Record<string, string> = {}) {
  const config = loadConfig({
    // Each test's lattice beside the others on the shared server: created explicitly.
    flags: { httpPort: "0", backend: "postgres", createLattice: "always", ...flags },
    env,
    backends: ["postgres"],
  });
  const runtime = createHostContainer(config, { logger: quiet }).resolve(HostRuntime);
  runtimes.push(runtime);
  await runtime.start();
  await runtime.answering();
  return { runtime, cache: await runtime.ready(20_000) };
}

describe("PostgreSQL NOTIFY status channel", () => {
  it("a spawned `lattice host` and an in-process host both answer the spawned CLI, in agreement (exit 0)", async () => {
    const prefix = "pgaudit";
    const env = cleanEnv({ LATTICE_POSTGRES_URL: server.url });
    const spawned = LatticeProcess.start(
      ["host", "--backend", "postgres", "--prefix", prefix, "--host-id", "pg-a", "--http-port", "0"],
      { env },
    );
    const url = (await spawned.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
    await spawned.waitForOutput(/answering status requests/, { stream: "stderr" });
    const { cache } = await startRuntime({ postgresUrl: server.url, prefix, hostId: "pg-b" });

    const put = await runLattice(
      ["refmaps", "put", "ghcr.io/acme/a:1", "MAUDIT", "--backend", "postgres", "--prefix", prefix],
      {
        env,
      },
    );
    expect(put.code, put.stderr).toBe(0);
    const revision = Number(/revision (\d+)/.exec(put.stdout)?.[1]);
    await cache.waitForRevision(revision, 10_000);
    await waitFor(async () => JSON.parse((await httpGet(`${url}/status`)).body).revision >= revision, {
      what: `pg-a to apply revision ${revision}`,
    });

    const audit = await runLattice(
      ["status", "--hosts", "--json", "--backend", "postgres", "--prefix", prefix],
      { env },
    );
    expect(audit.code, audit.stderr).toBe(EXIT_CODES.success);
    const listed = (JSON.parse(audit.stdout) as { hosts: AuditedHost[] }).hosts;
    expect(listed.map((h) => [h.hostId, h.backend, h.state, h.revision, h.lag])).toEqual([
      ["pg-a", "postgres", "live", revision, 0],
      ["pg-b", "postgres", "live", revision, 0],
    ]);
    expect(listed[0]?.digest).toBe(listed[1]?.digest);
    expect(listed[0]?.http).toBe(url);

    const table = await runLattice(["status", "--hosts", "--backend", "postgres", "--prefix", prefix], {
      env,
    });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(
      "2 hosts answered on PostgreSQL channel lattice_pgaudit_status within 1500 ms",
    );
  });

  it("a wrong password is refused with exit 1, never echoing it", async () => {
    const url = new URL(server.url);
    url.password = "wrong-status-pw-91c2";
    const r = await runLattice(
      ["status", "--hosts", "--backend", "postgres", "--postgres-url", url.toString()],
      {
        env: cleanEnv(),
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused/);
    expect(r.stderr).not.toContain("wrong-status-pw-91c2");
  });
});

/** The value of one sample in a Prometheus text, 0 when absent. */
function sampleOf(metrics: string, sample: string): number {
  const line = metrics.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

describe("issue 27 item 2: every answer on the PostgreSQL channel is bounded", () => {
  it("a NOTIFY with parts 4294967295 (and other out-of-bounds answers) is refused: the host stays up, counts it in /metrics, and real answers still arrive", async () => {
    const prefix = "pgbounds";
    const channels = postgresStatusChannels(prefix);
    const env = cleanEnv({ LATTICE_POSTGRES_URL: server.url });
    const host = LatticeProcess.start(
      ["host", "--backend", "postgres", "--prefix", prefix, "--host-id", "pgb-a", "--http-port", "0"],
      { env },
    );
    const url = (await host.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
    await host.waitForOutput(/answering status requests/, { stream: "stderr" });

    // Mallory LISTENs on the request channel and answers every request with payloads out of bounds.
    const mallory = new pg.Client({ connectionString: server.url });
    clients.push(mallory);
    await mallory.connect();
    mallory.on("notification", (message) => {
      if (message.channel !== channels.requests) return;
      const { replyTo } = JSON.parse(message.payload ?? "{}") as { replyTo: string };
      const payloads = [
        JSON.stringify({ answer: "a1", part: 0, parts: 4294967295, text: "{" }),
        JSON.stringify({ answer: "a2", part: 0, parts: 2, text: "x".repeat(7000) }),
        statusAnswer("h".repeat(5000), { backend: "postgres" }),
        statusAnswer("pg-http", { backend: "postgres", http: "javascript:alert(document.cookie)" }),
      ];
      mallory
        .query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [replyTo, payloads])
        .catch(() => {});
    });
    await mallory.query(`LISTEN ${mallory.escapeIdentifier(channels.requests)}`);

    // The host's Lattice view asks the lattice (and hears Mallory): it keeps serving and counts each refusal.
    const text = (path: string) =>
      fetch(`${url}${path}`, { signal: AbortSignal.timeout(20_000) }).then((r) => r.text());
    const rejected = (metrics: string, reason: string) =>
      sampleOf(metrics, `lattice_cache_status_rejected_total{channel="postgres",reason="${reason}"}`);
    const view = await waitFor(
      async () => {
        const lattice = JSON.parse(await text("/lattice")) as { hosts: AuditedHost[] };
        const metrics = await text("/metrics");
        const counted =
          rejected(metrics, "parts") >= 2 &&
          rejected(metrics, "host-id") >= 1 &&
          rejected(metrics, "http") >= 1;
        return counted && lattice.hosts.some((h) => h.hostId === "pgb-a") ? lattice : undefined;
      },
      { timeoutMs: 40_000, what: "pgb-a to count Mallory's answers and still list itself" },
    );
    expect(view.hosts.find((h) => h.hostId === "pg-http")?.http ?? null).toBeNull();
    expect((await httpGet(`${url}/healthz`)).status).toBe(200);
    expect(host.alive).toBe(true);

    // The CLI is a requester too: it lists the real host (and the one whose address it dropped), nothing else.
    const audit = await runLattice(
      ["status", "--hosts", "--json", "--backend", "postgres", "--prefix", prefix],
      { env },
    );
    expect(audit.code, audit.stderr).toBe(EXIT_CODES.success);
    const listed = (JSON.parse(audit.stdout) as { hosts: AuditedHost[] }).hosts;
    expect(listed.map((h) => [h.hostId, h.http === null])).toEqual([
      ["pg-http", true],
      ["pgb-a", false],
    ]);
    expect(audit.stderr).toMatch(/note: refused 2 answers \(parts out of bounds\)/);
    expect(audit.stderr).toMatch(/note: refused 1 answer \(host id out of bounds\)/);
  });
});

describe("postgres.statusChannel: nats", () => {
  let nats: NatsServerHandle;

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  it("hosts on postgres answer on the NATS subject, reached with the nats settings", async () => {
    const env = { LATTICE_POSTGRES_STATUS_CHANNEL: "nats", LATTICE_NATS_URL: nats.url };
    await startRuntime({ postgresUrl: server.url, prefix: "pgnats", hostId: "n-a" }, env);
    await startRuntime({ postgresUrl: server.url, prefix: "pgnats", hostId: "n-b" }, env);
    const audit = await runLattice(
      ["status", "--hosts", "--backend", "postgres", "--postgres-url", server.url, "--prefix", "pgnats"],
      { env: cleanEnv(env) },
    );
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toContain("2 hosts answered on NATS subject lattice-cache.pgnats.status");
    // Nobody answers on the NOTIFY channel of that lattice.
    const notify = new PostgresStatusBus(
      { options: { url: server.url, prefix: "pgnats" }, hostId: "auditor" },
      { logger: quiet, rejections: UNCOUNTED_REJECTIONS, secret: undefined },
    );
    expect((await notify.gather(300)).reports).toEqual([]);
  });
});
