// Spawning the real `lattice` binary in tests: one-shot runs with captured output, and long-running
// processes whose output can be awaited line by line.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@lattice-cache/test-harness";

/** apps/host. */
export const HOST_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The monorepo root (where `pnpm lattice …` works). */
export const REPO_ROOT = resolve(HOST_DIR, "..", "..");
/** The built CLI entry point. */
export const LATTICE_BIN = join(HOST_DIR, "dist", "bin", "lattice.js");

/**
 * The test process's environment without any LATTICE_* / WASMCLOUD_* setting, plus `extra`. Tests share a
 * server among many lattices (a prefix each), beside which `createLattice: auto` refuses to create one: so
 * here hosts and write commands create their lattice (`LATTICE_CREATE_LATTICE=always`) unless `extra` says
 * otherwise (`LATTICE_CREATE_LATTICE: undefined` for the default).
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LATTICE_CREATE_LATTICE: "always" };
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(LATTICE|WASMCLOUD)_/.test(k)) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** The outcome of a finished `lattice` run. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Options of {@link runLattice} and {@link LatticeProcess.start}. */
export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Kill the process (and fail) after this long. Default 30 000 ms. */
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** Runs `lattice args…` to completion. */
export async function runLattice(args: readonly string[], options: SpawnOptions = {}): Promise<RunResult> {
  const p = LatticeProcess.start(args, options);
  return p.finished(options.timeoutMs ?? 30_000);
}

const running = new Set<LatticeProcess>();

/** A spawned `lattice` process. */
export class LatticeProcess {
  stdout = "";
  stderr = "";
  private readonly started = Date.now();
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  private constructor(
    readonly args: readonly string[],
    private readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    this.exit = new Promise((resolve) => {
      child.once("close", (code, signal) => {
        this.done = true;
        running.delete(this);
        resolve({ code, signal });
      });
    });
  }

  /** Spawns `node dist/bin/lattice.js args…`. */
  static start(args: readonly string[], options: SpawnOptions = {}): LatticeProcess {
    const child = spawn(process.execPath, [LATTICE_BIN, ...args], {
      cwd: options.cwd ?? HOST_DIR,
      env: options.env ?? cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin?.end(options.input ?? "");
    const p = new LatticeProcess(args, child);
    running.add(p);
    return p;
  }

  /** The pid. */
  get pid(): number {
    return this.child.pid as number;
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return !this.done;
  }

  /** Resolves with the first match of `pattern` in stdout (or stderr), polling until `timeoutMs`. */
  async waitForOutput(
    pattern: RegExp,
    options: { stream?: "stdout" | "stderr"; timeoutMs?: number } = {},
  ): Promise<RegExpMatchArray> {
    const stream = options.stream ?? "stdout";
    return waitFor(
      () => {
        const match = this[stream].match(pattern);
        if (match) return match;
        if (this.done)
          throw new Error(
            `lattice ${this.args.join(" ")} exited before printing ${pattern}: ${this.describe()}`,
          );
        return undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 30_000,
        what: `${pattern} on ${stream} of lattice ${this.args.join(" ")}`,
      },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${this.describe()}`);
    });
  }

  /** Sends a signal. */
  signal(signal: NodeJS.Signals): void {
    if (!this.done) this.child.kill(signal);
  }

  /** Waits for exit (SIGKILL after `timeoutMs`, then rejects). */
  async finished(timeoutMs = 30_000): Promise<RunResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.child.kill("SIGKILL");
      await this.exit;
      throw new Error(
        `lattice ${this.args.join(" ")} did not finish within ${timeoutMs} ms: ${this.describe()}`,
      );
    }
    return { ...outcome, stdout: this.stdout, stderr: this.stderr, durationMs: Date.now() - this.started };
  }

  /** Output so far, for failure messages. */
  describe(): string {
    return `\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }
}

/** SIGKILLs every spawned `lattice` process still running (afterAll). */
export async function killAllLattice(): Promise<void> {
  const all = [...running];
  for (const p of all) p.signal("SIGKILL");
  await Promise.all(all.map((p) => p.finished(10_000).catch(() => undefined)));
}

/** Fetches `url` and returns status and body text (never throws for HTTP errors). */
export async function httpGet(url: string): Promise<{ status: number; body: string; contentType: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get("content-type") ?? "",
  };
}
