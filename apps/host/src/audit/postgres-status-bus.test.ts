// `lattice status --hosts` with `backend: postgres`: hosts answer on PostgreSQL NOTIFY (a spawned `lattice host`
// and one in this process, audited by the spawned CLI), an answer too long for one NOTIFY arrives whole, hosts
// listen again after a kill -9 and restart of the server, a wrong password is refused; with
// `postgres.statusChannel: nats` they answer on the NATS subject instead.
import {
  disposeAll,
  type NatsServerHandle,
  type PostgresServerHandle,
  startNatsServer,
  startPostgresServer,
  waitFor,
} from "@lattice-cache/test-harness";
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
import { decodeHostStatusReport, type HostStatusReport } from "./host-status-report.js";
import { type AuditedHost, auditLattice } from "./lattice-audit.js";
import {
  answerPayloads,
  joinAnswers,
  MAX_NOTIFY_PAYLOAD_BYTES,
  PostgresStatusBus,
  postgresStatusChannels,
} from "./postgres-status-bus.js";

const quiet = createHostLogger("silent");
const runtimes: HostRuntime[] = [];
const buses: PostgresStatusBus[] = [];
let server: PostgresServerHandle;

beforeAll(async () => {
  server = await startPostgresServer();
});

afterAll(async () => {
  await Promise.all([...runtimes.map((r) => r.stop()), ...buses.map((b) => b.close())]);
  await killAllLattice();
  await disposeAll();
});

/** An in-process host on postgres with quiet logs and a free HTTP port. */
async function startRuntime(flags: Record<string, string>, env: Record<string, string> = {}) {
  const config = loadConfig({
    flags: { httpPort: "0", backend: "postgres", ...flags },
    env,
    backends: ["postgres"],
  });
  const runtime = createHostContainer(config, { logger: quiet }).resolve(HostRuntime);
  runtimes.push(runtime);
  await runtime.start();
  await runtime.answering();
  return { runtime, cache: await runtime.ready(20_000) };
}

/** A bus on the test server (not serving until told). */
function bus(prefix: string, hostId: string): PostgresStatusBus {
  const b = new PostgresStatusBus(
    { options: { url: server.url, prefix, connectTimeoutMs: 2_000 }, hostId },
    quiet,
  );
  buses.push(b);
  return b;
}

const report = (hostId: string, extra: Partial<HostStatusReport> = {}): HostStatusReport => ({
  hostId,
  backend: "postgres",
  prefix: "p",
  state: "live",
  ordered: true,
  revision: 3,
  backendRevision: 3,
  digest: "d1",
  counts: { linkdefs: 1, claims: 0, refmaps: 2 },
  staleForMs: 0,
  version: "0.1.0",
  http: null,
  ...extra,
});

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
    const listed = JSON.parse(audit.stdout) as AuditedHost[];
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

  it("an answer longer than one NOTIFY travels in parts and arrives whole (text beyond ASCII included)", async () => {
    const long = report(`h-${"x".repeat(20_000)}`, { http: `http://bücher.example/${"é".repeat(3_000)}` });
    const payloads = answerPayloads(long);
    expect(payloads.length).toBeGreaterThan(5);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_NOTIFY_PAYLOAD_BYTES);
    expect(payloads.every((p) => /^[\x20-\x7e]*$/.test(p))).toBe(true);

    await bus("pglong", "long-host").serve(() => long);
    await bus("pglong", "short-host").serve(() => report("short-host"));
    const answers = await bus("pglong", "auditor").gather(500);
    const decoded = answers.map(decodeHostStatusReport);
    expect(decoded).toHaveLength(2);
    expect(decoded).toContainEqual(long);
    expect(decoded).toContainEqual(report("short-host"));
  });

  it("an answer missing a part is listed as unreadable, not dropped", () => {
    const parts = answerPayloads(report("y".repeat(10_000)));
    const joined = joinAnswers(parts.slice(1));
    expect(joined).toEqual([
      expect.stringMatching(/^incomplete answer [0-9a-f]+: \d+ of \d+ parts arrived$/),
    ]);
    expect(auditLattice(joined).notes.join(" ")).toMatch(/not JSON/);
  });

  it("channel names fit PostgreSQL's 63 bytes, also for the longest prefixes, and stay apart", () => {
    expect(postgresStatusChannels("default")).toEqual({
      requests: "lattice_default_status",
      replyPrefix: "lattice_default_status_",
    });
    const a = postgresStatusChannels(`${"a".repeat(54)}1`);
    const b = postgresStatusChannels(`${"a".repeat(54)}2`);
    expect(a.requests).not.toBe(b.requests);
    expect(a.replyPrefix.length + 12).toBeLessThanOrEqual(63);
  });

  it("hosts listen again after the server is killed (-9) and restarted", async () => {
    await bus("pgrestart", "r-a").serve(() => report("r-a"));
    await bus("pgrestart", "r-b").serve(() => report("r-b"));
    expect((await bus("pgrestart", "auditor").gather(300)).length).toBe(2);
    await server.kill("SIGKILL");
    await server.restart();
    const answers = await waitFor(
      async () => {
        const got = await bus("pgrestart", "auditor")
          .gather(300)
          .catch(() => []);
        return got.length === 2 ? got : undefined;
      },
      { timeoutMs: 30_000, what: "both hosts to answer after the restart" },
    );
    expect(answers.map((a) => (decodeHostStatusReport(a) as HostStatusReport).hostId).sort()).toEqual([
      "r-a",
      "r-b",
    ]);
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
    expect(await bus("pgnats", "auditor").gather(300)).toEqual([]);
  });
});
