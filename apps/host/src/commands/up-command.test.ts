// `lattice up` end to end: reuse a running NATS, or start (and later stop) its own nats-server; the printed
// "try next" commands are run verbatim from the repo root.
import { execFile } from "node:child_process";
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import {
  disposeAll,
  freePort,
  type NatsServerHandle,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  killAllLattice,
  LatticeProcess,
  REPO_ROOT,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import { probeNats } from "../up/nats-probe.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-up-"));
let nats: NatsServerHandle;

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A PATH on which `pnpm` resolves: the one the tests run under, or a shim around the pnpm that launched
 * them (`npm_execpath`). The printed commands start with `pnpm`, as a user would type them.
 */
function pathWithPnpm(): string {
  const path = process.env.PATH ?? "";
  for (const d of path.split(delimiter)) {
    try {
      accessSync(join(d, "pnpm"), constants.X_OK);
      return path;
    } catch {
      // keep looking
    }
  }
  const execPath = process.env.npm_execpath;
  if (!execPath || !/pnpm/.test(execPath)) {
    throw new Error(
      "pnpm is neither on PATH nor the runner of these tests (npm_execpath); run the tests through pnpm",
    );
  }
  const shimDir = join(dir, "bin");
  const shim = join(shimDir, "pnpm");
  mkdirSync(shimDir, { recursive: true });
  // pnpm 9+ ships a native executable; older ones a JavaScript entry point.
  const launcher = /\.[cm]?js$/.test(execPath) ? `"${process.execPath}" "${execPath}"` : `"${execPath}"`;
  writeFileSync(shim, `#!/bin/sh\nexec ${launcher} "$@"\n`);
  chmodSync(shim, 0o755);
  return `${shimDir}${delimiter}${path}`;
}

/** Runs one printed command exactly as printed, in a shell, from the repo root. */
function runVerbatim(
  command: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "/bin/sh",
      ["-c", command],
      { cwd: REPO_ROOT, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The indented lines under "Try next". */
function printedSteps(output: string): string[] {
  const block = output.split("Try next")[1] ?? "";
  return block
    .split("\n")
    .slice(1)
    .filter((line) => line.startsWith("  "))
    .map((line) => line.trim());
}

async function runSteps(steps: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  expect(steps).toHaveLength(4);
  expect(steps[0]).toMatch(
    /^pnpm lattice linkdefs put --actor Mbob --provider Vprov --contract wasmcloud:keyvalue/,
  );
  expect(steps[3]).toMatch(/^curl http:\/\/127\.0\.0\.1:\d+\/status$/);
  // One after the other: the put must land before ls shows it.
  const results = [];
  for (const step of steps) {
    const r = await runVerbatim(step, env);
    expect(r.code, `${step}\n${r.stdout}\n${r.stderr}`).toBe(0);
    results.push(r);
  }
  expect(results[0]?.stdout).toMatch(/put LINKDEF_/);
  expect(results[1]?.stdout).toMatch(/Mbob\s+Vprov\s+wasmcloud:keyvalue/);
  expect(results[2]?.stdout).toMatch(/state\s+live/);
  expect(JSON.parse(results[3]?.stdout ?? "{}")).toMatchObject({ state: "live", backend: "jetstream" });
}

describe("lattice up", () => {
  it("reuses a NATS server that answers at --nats-url, runs a host, and leaves the server running on Ctrl-C", async () => {
    const env = cleanEnv({ XDG_DATA_HOME: join(dir, "reuse"), PATH: pathWithPnpm() });
    const up = LatticeProcess.start(["up", "--nats-url", nats.url, "--http-port", "0"], { env });
    await up.waitForOutput(/Ctrl-C stops/, { timeoutMs: 60_000 });
    expect(up.stdout).toContain(`${nats.url}  (reused`);
    const steps = printedSteps(up.stdout);
    for (const s of steps.slice(0, 3)) expect(s).toContain(`--nats-url ${nats.url}`);
    await runSteps(steps, env);

    // The host inside `up` answers on the lattice-wide status channel like any `lattice host`.
    const audit = await runLattice(
      ["status", "--hosts", "--json", "--nats-url", nats.url, "--prefix", "demo"],
      {
        env,
      },
    );
    expect(audit.code, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout).hosts).toEqual([
      expect.objectContaining({ backend: "jetstream", state: "live", prefix: "demo", behind: false }),
    ]);

    up.signal("SIGINT");
    const done = await up.finished(30_000);
    expect(done.code, up.describe()).toBe(0);
    expect(done.stderr).toContain("host stopped");
    expect(done.stderr).not.toContain("stopping nats-server");
    expect((await probeNats("127.0.0.1", nats.port)).kind).toBe("nats");
  });

  it("says so when the configuration names another backend: up runs jetstream, `lattice host` runs that one", async () => {
    const env = cleanEnv({ XDG_DATA_HOME: join(dir, "other-backend"), PATH: pathWithPnpm() });
    const args = ["--backend", "postgres", "--postgres-url", "postgres://u@127.0.0.1:9/db"];
    const up = LatticeProcess.start([...args, "up", "--nats-url", nats.url, "--http-port", "0"], { env });
    await up.waitForOutput(/Ctrl-C stops/, { timeoutMs: 60_000 });
    expect(up.stderr).toContain("runs a jetstream host on a local nats-server, not backend postgres");
    expect(up.stderr).toContain("lattice --backend postgres host");
    up.signal("SIGINT");
    expect((await up.finished(30_000)).code, up.describe()).toBe(0);
  });

  it("starts nats-server -js where nothing listens, and stops it (freeing the port) on Ctrl-C", async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const data = join(dir, "start");
    const env = cleanEnv({ XDG_DATA_HOME: data, PATH: pathWithPnpm() });
    const up = LatticeProcess.start(["up", "--nats-url", url, "--http-port", "0"], { env });
    await up.waitForOutput(/Ctrl-C stops/, { timeoutMs: 60_000 });
    const started = up.stdout.match(/\(started nats-server [\d.]+, pid (\d+); data (\S+), log/);
    expect(started, up.describe()).not.toBeNull();
    const pid = Number(started?.[1]);
    expect(started?.[2]).toBe(join(data, "lattice-cache", "nats", String(port)));
    expect((await probeNats("127.0.0.1", port)).kind).toBe("nats");
    await runSteps(printedSteps(up.stdout), env);

    up.signal("SIGINT");
    const done = await up.finished(30_000);
    expect(done.code, up.describe()).toBe(0);
    expect(done.stderr).toContain("nats-server stopped");
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await probeNats("127.0.0.1", port, 1000)).kind).toBe("nothing");
  });

  it("refuses an address where something else (not NATS) listens", async () => {
    const { createServer } = await import("node:net");
    const server = createServer((socket) => socket.write("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const port = await new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
    );
    try {
      const up = LatticeProcess.start(["up", "--nats-url", `nats://127.0.0.1:${port}`, "--http-port", "0"], {
        env: cleanEnv({ XDG_DATA_HOME: join(dir, "other") }),
      });
      const done = await up.finished(30_000);
      expect(done.code).toBe(1);
      expect(done.stderr).toContain("not as a NATS server");
    } finally {
      server.close();
    }
  });
});

describe("issue 27 item 7: up starts no open NATS beyond loopback unless told to", () => {
  /**
   * Runs `up args…` until it exits or says it is up; one that came up is stopped with Ctrl-C, so a wrong
   * outcome fails the test instead of leaving a server behind.
   */
  async function upUntilSettled(args: readonly string[], env: NodeJS.ProcessEnv) {
    const up = LatticeProcess.start(["up", ...args, "--http-port", "0"], { env });
    await waitFor(() => !up.alive || up.stdout.includes("Ctrl-C stops"), {
      timeoutMs: 60_000,
      what: `lattice up ${args.join(" ")} to exit or come up`,
    });
    const cameUp = up.alive;
    if (cameUp) up.signal("SIGINT");
    return { cameUp, done: await up.finished(30_000), up };
  }

  it("refuses --nats-url nats://0.0.0.0:<port> (exit 2, naming up.natsPublic) and starts no nats-server", async () => {
    const port = await freePort();
    const env = cleanEnv({ XDG_DATA_HOME: join(dir, "open-refused") });
    const { cameUp, done, up } = await upUntilSettled(["--nats-url", `nats://0.0.0.0:${port}`], env);
    expect(cameUp, up.describe()).toBe(false);
    expect(done.code, up.describe()).toBe(2);
    expect(done.stderr).toContain("up.natsPublic");
    expect(done.stderr).toContain("--nats-public");
    expect(done.stderr).toContain("LATTICE_UP_NATS_PUBLIC");
    expect(done.stderr).not.toContain("starting nats-server");
    expect((await probeNats("127.0.0.1", port, 1000)).kind).toBe("nothing");
  });

  it("with --nats-public starts it on every interface, warns that it is open, and stops it on Ctrl-C", async () => {
    const port = await freePort();
    const env = cleanEnv({ XDG_DATA_HOME: join(dir, "open-allowed"), PATH: pathWithPnpm() });
    const { cameUp, done, up } = await upUntilSettled(
      ["--nats-url", `nats://0.0.0.0:${port}`, "--nats-public"],
      env,
    );
    expect(cameUp, up.describe()).toBe(true);
    expect(up.stdout).toMatch(new RegExp(`NATS\\s+nats://0\\.0\\.0\\.0:${port}\\s+\\(started nats-server`));
    expect(up.stderr).toMatch(/WARNING: .*every interface.*no authentication.*up\.natsPublic/);
    expect(done.code, up.describe()).toBe(0);
    expect(done.stderr).toContain("nats-server stopped");
    expect((await probeNats("127.0.0.1", port, 1000)).kind).toBe("nothing");
  });
});

describe("issue 28 item 4: up on a NATS server that already runs never writes into a lattice it did not create", () => {
  /** The entries and last sequence of the stream behind `LATTICEDATA_default` on `url`. */
  async function defaultBucket(url: string) {
    const nc = await connect({ servers: url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info("KV_LATTICEDATA_default");
      return { messages: info.state.messages, lastSeq: info.state.last_seq };
    } finally {
      await nc.close();
    }
  }

  it("runs its demo in its own bucket LATTICEDATA_demo, says so, and leaves LATTICEDATA_default as it was", async () => {
    const server = await startNatsServer();
    const env = cleanEnv({ XDG_DATA_HOME: join(dir, "demo"), PATH: pathWithPnpm() });
    const real = await runLattice(
      [
        "linkdefs",
        "put",
        "--actor",
        "Mreal",
        "--provider",
        "Vreal",
        "--contract",
        "wasmcloud:httpserver",
        "--nats-url",
        server.url,
      ],
      { env },
    );
    expect(real.code, real.stderr).toBe(0);
    const before = await defaultBucket(server.url);
    expect(before.messages).toBe(1);

    const up = LatticeProcess.start(["up", "--nats-url", server.url, "--http-port", "0"], { env });
    await up.waitForOutput(/Ctrl-C stops/, { timeoutMs: 60_000 });
    expect(up.stdout).toContain(`${server.url}  (reused`);
    expect(up.stdout).toMatch(/lattice\s+demo: bucket LATTICEDATA_demo, created by `up`/);
    const steps = printedSteps(up.stdout);
    for (const s of steps.slice(0, 3)) expect(s).toContain("--prefix demo");
    await runSteps(steps, env);
    up.signal("SIGINT");
    expect((await up.finished(30_000)).code, up.describe()).toBe(0);

    expect(await defaultBucket(server.url)).toEqual(before);
    const ls = await runLattice(["linkdefs", "ls", "--nats-url", server.url], { env });
    expect(ls.stdout).toMatch(/Mreal\s+Vreal/);
    expect(ls.stdout).not.toContain("Mbob");
  });
});
