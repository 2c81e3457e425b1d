// `lattice status --hosts` end to end: real hosts on one lattice answer on the status channel (NATS subject
// for jetstream, Redis pub/sub for redis, in-process for memory); a replica corrupted in the test (core's
// testing door, on a host running in this process) shows up as SPLIT BRAIN naming that host, exit code 4; a
// Redis request naming a reply channel outside the lattice is not answered there (issue 27).
import { claimsKey, type LatticeCache } from "@lattice-cache/core";
import { corruptReplica } from "@lattice-cache/core/testing";
import { UNCOUNTED_REJECTIONS } from "@lattice-cache/plugin";
import {
  disposeAll,
  type NatsServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startRedisServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { runCli } from "../cli/program.js";
import { createDefaultBackendRegistry } from "../composition/builtin-backends.js";
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
import { type AuditedHost, auditLattice } from "./lattice-audit.js";

const SUB = "MAUDITMODULE";
const CLAIMS = { sub: SUB, name: "audited", iss: "AISSUER", caps: "wasmcloud:httpserver", rev: "1" };
const runtimes: HostRuntime[] = [];

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
  await killAllLattice();
  await disposeAll();
});

function post(url: string, body: unknown): Promise<{ status: number; body: string }> {
  return fetch(url, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: await r.text(),
  }));
}

/** An in-process host (HostRuntime) with its own container, quiet logs and a free HTTP port. */
async function startRuntime(flags: Record<string, string>, env: Record<string, string> = {}) {
  const config = loadConfig({
    // Each test's lattice beside the others on the shared servers: created explicitly.
    flags: { httpPort: "0", createLattice: "always", ...flags },
    env,
    backends: ["jetstream", "redis", "legacy", "memory"],
  });
  const runtime = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(HostRuntime);
  runtimes.push(runtime);
  await runtime.start();
  await runtime.answering();
  const cache = await runtime.ready(20_000);
  return { runtime, cache };
}

describe("NATS status subject: spawned `lattice host` processes on a jetstream lattice", () => {
  let nats: NatsServerHandle;
  const hosts: { id: string; url: string }[] = [];
  const env = cleanEnv();
  const common = () => ["--nats-url", nats.url, "--prefix", "audit"];
  /** host-c runs in this process, so the test can corrupt its replica; host-a and host-b are processes. */
  let hostC: LatticeCache;

  beforeAll(async () => {
    nats = await startNatsServer();
    const processes: { id: string; process: LatticeProcess }[] = [];
    for (const id of ["host-a", "host-b"]) {
      const p = LatticeProcess.start(["host", ...common(), "--host-id", id, "--http-port", "0"], { env });
      processes.push({ id, process: p });
    }
    for (const { id, process } of processes) {
      const url = (await process.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
      await process.waitForOutput(/answering status requests/, { stream: "stderr" });
      hosts.push({ id, url });
    }
    const c = await startRuntime({ natsUrl: nats.url, prefix: "audit", hostId: "host-c" });
    hostC = c.cache;
    hosts.push({ id: "host-c", url: c.runtime.http.listening?.url as string });
  });

  it("lists every host with equal digests and exits 0", async () => {
    const put = await runLattice(["claims", "put", "--file", "-", ...common()], {
      env,
      input: JSON.stringify(CLAIMS),
    });
    expect(put.code, put.stderr).toBe(0);
    const revision = Number(/revision (\d+)/.exec(put.stdout)?.[1]);
    for (const h of hosts) {
      await waitFor(async () => JSON.parse((await httpGet(`${h.url}/status`)).body).revision >= revision, {
        what: `${h.id} to apply revision ${revision}`,
      });
    }

    const r = await runLattice(["status", "--hosts", "--json", ...common()], { env });
    expect(r.code, r.stderr).toBe(EXIT_CODES.success);
    const listed = (JSON.parse(r.stdout) as { hosts: AuditedHost[] }).hosts;
    expect(listed.map((h) => h.hostId)).toEqual(["host-a", "host-b", "host-c"]);
    for (const h of listed) {
      expect(h).toMatchObject({
        backend: "jetstream",
        prefix: "audit",
        state: "live",
        revision,
        lag: 0,
        behind: false,
        splitBrainWith: [],
        counts: { linkdefs: 0, claims: 1, refmaps: 0 },
        version: expect.any(String),
      });
      expect(h.http).toBe(hosts.find((x) => x.id === h.hostId)?.url);
    }
    expect(new Set(listed.map((h) => h.digest)).size).toBe(1);

    const table = await runLattice(["status", "--hosts", ...common()], { env });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^HOST\s+BACKEND\s+STATE\s+REVISION\s+LAG\s+DIGEST/);
    expect(table.stdout).toContain(
      "3 hosts answered on NATS subject lattice-cache.audit.status within 1500 ms",
    );
    expect(table.stdout).toContain("all hosts are live at the same revision with the same digest");
  });

  it("no host serves a way to alter its replica over HTTP", async () => {
    const refused = await post(`${hosts[0]?.url}/test/corrupt`, { key: claimsKey(SUB), value: {} });
    expect(refused.status).toBe(404);
  });

  it("a corrupted replica is reported as SPLIT BRAIN naming that host, exit code 4", async () => {
    expect(corruptReplica(hostC, claimsKey(SUB), { ...CLAIMS, name: "tampered" })).toBe(true);

    const r = await runLattice(["status", "--hosts", "--json", ...common()], { env });
    expect(r.code, r.stderr).toBe(EXIT_CODES.splitBrain);
    const listed = (JSON.parse(r.stdout) as { hosts: AuditedHost[] }).hosts;
    expect(listed.find((h) => h.hostId === "host-c")?.splitBrainWith).toEqual(["host-a", "host-b"]);
    expect(r.stderr).toMatch(
      /^lattice: SPLIT BRAIN at revision \d+ \(jetstream\): host-a, host-b hold digest \w+ but host-c holds digest \w+$/m,
    );

    const table = await runLattice(["status", "--hosts", ...common()], { env });
    expect(table.code).toBe(4);
    expect(table.stdout).toMatch(/^host-c\s.*SPLIT BRAIN$/m);
    expect(table.stdout).toMatch(/^SPLIT BRAIN at revision \d+ \(jetstream\): .*host-c holds/m);
  });

  it("no host on a prefix: exit 1 naming the subject", async () => {
    // The lattice exists, no host runs on it (on a prefix no lattice has, exit 3: missing-lattice.test.ts).
    const created = await runLattice(
      ["refmaps", "put", "ghcr.io/acme/nobody:1", "Mnobody", "--nats-url", nats.url, "--prefix", "nobody"],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
    const r = await runLattice(
      ["status", "--hosts", "--window", "300", "--nats-url", nats.url, "--prefix", "nobody"],
      {
        env,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no host answered on NATS subject lattice-cache.nobody.status within 300 ms");
  });
});

describe("Redis pub/sub status channel: in-process hosts on a redis lattice (with a password)", () => {
  let redis: RedisServerHandle;
  const password = "audit-redis-secret";
  let caches: LatticeCache[];
  let urls: string[];

  beforeAll(async () => {
    redis = await startRedisServer({ password });
    const flags = { backend: "redis", redisUrl: redis.url, prefix: "audit" };
    const started = await Promise.all(
      ["redis-a", "redis-b"].map((hostId) =>
        startRuntime({ ...flags, hostId }, { LATTICE_REDIS_PASSWORD: password }),
      ),
    );
    caches = started.map((s) => s.cache);
    urls = started.map((s) => s.runtime.http.listening?.url as string);
  });

  const audit = () =>
    runLattice(
      ["status", "--hosts", "--json", "--backend", "redis", "--redis-url", redis.url, "--prefix", "audit"],
      {
        env: cleanEnv({ LATTICE_REDIS_PASSWORD: password }),
      },
    );

  it("lists both hosts in agreement (exit 0), then flags the corrupted one (exit 4)", async () => {
    const { revision } = await (caches[0] as LatticeCache).claims.put(CLAIMS);
    await (caches[1] as LatticeCache).waitForRevision(revision, 20_000);

    const healthy = await audit();
    expect(healthy.code, healthy.stderr).toBe(0);
    const listed = (JSON.parse(healthy.stdout) as { hosts: AuditedHost[] }).hosts;
    expect(listed.map((h) => [h.hostId, h.backend, h.state, h.revision])).toEqual([
      ["redis-a", "redis", "live", revision],
      ["redis-b", "redis", "live", revision],
    ]);
    expect(listed[0]?.digest).toBe(listed[1]?.digest);

    expect(corruptReplica(caches[1] as LatticeCache, claimsKey(SUB), { ...CLAIMS, name: "x" })).toBe(true);
    const split = await audit();
    expect(split.code, split.stderr).toBe(4);
    expect(split.stderr).toMatch(/SPLIT BRAIN at revision \d+ \(redis\): .*redis-b/);
  });

  it("hosts resubscribe after Redis restarts (and, history lost, resync into agreement)", async () => {
    await redis.restart();
    const config = loadConfig({
      flags: { backend: "redis", redisUrl: redis.url, prefix: "audit", hostId: "auditor" },
      env: { LATTICE_REDIS_PASSWORD: password },
      backends: ["redis"],
    });
    const answers = await waitFor(
      async () => {
        const logger = createHostLogger("silent");
        const bus = createDefaultBackendRegistry().statusBusOf(config, {
          logger,
          statusChannel: () => ({ logger, rejections: UNCOUNTED_REJECTIONS, secret: undefined }),
        });
        if (!bus) throw new Error("the redis plugin has no status channel");
        const audit = auditLattice(await bus.gather(300).finally(() => bus.close()));
        return audit.hosts.length === 2 && audit.converged ? audit : undefined;
      },
      { timeoutMs: 40_000, what: "both redis hosts to answer again, in agreement" },
    );
    expect(answers.hosts.map((h) => h.hostId)).toEqual(["redis-a", "redis-b"]);
  });

  it("issue 27 item 1: a request naming a reply channel outside the lattice's reply channels gets no answer there, and is counted", async () => {
    const victims = [
      "__keyspace@0__:victim",
      `{lattice:audit}:status-reply:${"x".repeat(500)}`,
      "{lattice:audit}:status-reply:a b",
    ];
    const observer = new Redis(redis.url, { password, lazyConnect: true });
    const mallory = new Redis(redis.url, { password, lazyConnect: true });
    try {
      await Promise.all([observer.connect(), mallory.connect()]);
      const seen: string[] = [];
      observer.on("message", (channel: string) => seen.push(channel));
      await observer.subscribe(...victims);
      for (const replyTo of victims)
        await mallory.publish("{lattice:audit}:status", JSON.stringify({ replyTo }));
      // A real request after them: once answered, the hosts have dealt with the three before it.
      const healthy = await audit();
      expect(healthy.code, healthy.stderr).not.toBe(1);
      await observer.ping();
      expect(seen).toEqual([]);
      for (const url of urls) {
        const metrics = (await httpGet(`${url}/metrics`)).body;
        expect(metrics).toMatch(
          /^lattice_cache_status_rejected_total\{channel="redis",reason="reply-to"\} 3$/m,
        );
      }
    } finally {
      observer.disconnect();
      mallory.disconnect();
    }
  });

  it("a wrong password is refused with exit 1, never echoing it", async () => {
    const r = await runLattice(
      ["status", "--hosts", "--backend", "redis", "--redis-url", redis.url, "--prefix", "audit"],
      { env: cleanEnv({ LATTICE_REDIS_PASSWORD: "wrong-secret-value" }) },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused/);
    expect(r.stderr).not.toContain("wrong-secret-value");
  });
});

describe("in-process status channel: memory hosts, audited by the CLI in the same process", () => {
  it("finds both hosts, then the split brain (exit 4) once one replica is corrupted", async () => {
    const flags = { backend: "memory", prefix: "audit-memory" };
    const [a, b] = await Promise.all([
      startRuntime({ ...flags, hostId: "mem-a" }),
      startRuntime({ ...flags, hostId: "mem-b" }),
    ]);
    const { revision } = await a.cache.refmaps.put({ oci_url: "ghcr.io/acme/a:1", public_key: "MA" });
    await b.cache.waitForRevision(revision);
    const run = async () => {
      let stdout = "";
      let stderr = "";
      const code = await runCli(["status", "--hosts", "--backend", "memory", "--prefix", "audit-memory"], {
        io: {
          stdout: (t) => {
            stdout += t;
          },
          stderr: (t) => {
            stderr += t;
          },
          env: {},
        },
      });
      return { code, stdout, stderr };
    };
    const healthy = await run();
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(healthy.stdout).toMatch(/^mem-a\s+memory\s+live\s+\d+\s+0\s/m);
    expect(healthy.stdout).toContain("2 hosts answered on in-process channel audit-memory");

    corruptReplica(b.cache, a.cache.refmaps.keyOf("ghcr.io/acme/a:1"), { nope: true });
    const split = await run();
    expect(split.code).toBe(4);
    expect(split.stdout).toMatch(/^mem-b\s.*SPLIT BRAIN$/m);
    // Two hosts, one digest each: no majority, so both are named, in either order.
    expect(split.stderr).toMatch(
      /^lattice: SPLIT BRAIN at revision \d+ \(memory\): mem-(a|b) holds digest \w+ but mem-(?!\1)[ab] holds digest \w+/,
    );
  });
});
