import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP_SERVER_SOURCE } from "./managed-server.test-helpers.js";
import { isAlive } from "./tcp.test-helpers.js";
import { waitFor } from "./wait-for.js";

/**
 * These specifications run the harness in a separate Node process (compiled from this very source) and
 * crash that process in different ways; no server process or temp dir may survive it — nats-server,
 * redis-server, nor a server started through the generic `startManagedServer`.
 */
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

const CHILD_SCRIPT = `
const [, indexPath, how, serverSource] = process.argv;
const harness = await import(indexPath);
const nats = await harness.startNatsServer();
const redis = await harness.startRedisServer();
const other = await harness.startManagedServer({
  name: "generic",
  command: process.execPath,
  args: ({ port }) => ["-e", serverSource, String(port)],
  ready: /listening on/,
});
const started = [nats, redis, other];
process.stdout.write(JSON.stringify({ pids: started.map((s) => s.pid), dirs: started.map((s) => s.dir) }) + "\\n");
if (how === "throw") process.stdin.once("data", () => { throw new Error("simulated test crash"); });
else setInterval(() => {}, 1000);
`;

interface Started {
  readonly child: ChildProcess;
  readonly pids: number[];
  readonly dirs: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let buildDir: string;

async function startChild(how: "throw" | "wait"): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      CHILD_SCRIPT,
      pathToFileURL(join(buildDir, "index.js")).href,
      how,
      HTTP_SERVER_SOURCE,
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const line = await waitFor(() => stdout.includes("\n") && stdout.split("\n")[0], {
    timeoutMs: 40_000,
    what: `the child to start its servers (stderr: ${stderr.slice(0, 300)})`,
  });
  const { pids, dirs } = JSON.parse(line) as { pids: number[]; dirs: string[] };
  return { child, pids, dirs, exited };
}

async function expectNothingLeft(started: Started): Promise<void> {
  await waitFor(
    () => started.pids.every((pid) => !isAlive(pid)) && started.dirs.every((dir) => !existsSync(dir)),
    {
      timeoutMs: 15_000,
      what: "the crashed process's servers and temp dirs to be gone",
    },
  );
}

describe("cleanup when the test process dies", () => {
  beforeAll(async () => {
    // Inside the package, so the compiled harness resolves its dependencies from the package's node_modules.
    const results = join(packageDir, ".test-results");
    await mkdir(results, { recursive: true });
    buildDir = await mkdtemp(join(results, "harness-build-"));
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    await promisify(execFile)(process.execPath, [
      tsc,
      "-p",
      join(packageDir, "tsconfig.json"),
      "--outDir",
      buildDir,
      "--declaration",
      "false",
      "--declarationMap",
      "false",
      "--sourceMap",
      "false",
    ]);
    await writeFile(join(buildDir, "package.json"), JSON.stringify({ type: "module" }));
  });

  afterAll(async () => {
    await rm(buildDir, { recursive: true, force: true });
  });

  it("kills the servers and removes their temp dirs after an uncaught exception", async () => {
    const started = await startChild("throw");
    expect(started.pids.every(isAlive)).toBe(true);
    started.child.stdin?.write("crash now\n");
    expect((await started.exited).code).not.toBe(0);
    await expectNothingLeft(started);
  });

  it("kills the servers on SIGTERM and still terminates with that signal", async () => {
    const started = await startChild("wait");
    expect(started.pids.every(isAlive)).toBe(true);
    started.child.kill("SIGTERM");
    expect((await started.exited).signal).toBe("SIGTERM");
    await expectNothingLeft(started);
  });

  it("kills the servers even when the test process itself is SIGKILLed (watchdog)", async () => {
    const started = await startChild("wait");
    expect(started.pids.every(isAlive)).toBe(true);
    started.child.kill("SIGKILL");
    expect((await started.exited).signal).toBe("SIGKILL");
    await expectNothingLeft(started);
  });
});
