// The built `lattice` CLI in a scenario, as an operator runs it: one-shot commands (`export`, `import`) run to
// completion, and `lattice host` processes watched through their HTTP `/status` and `/entries`.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "@lattice-cache/test-harness";

/** apps/host's built entry point (built before this package's tests: `@lattice-cache/host` is a dependency). */
const LATTICE_BIN = fileURLToPath(new URL("../../../apps/host/dist/bin/lattice.js", import.meta.url));

/** How much of a process's output is kept for failure messages. */
const OUTPUT_TAIL = 16_384;

/** This process's environment without any LATTICE_* or WASMCLOUD_* setting: only the flags configure a run. */
function flagsOnlyEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(LATTICE|WASMCLOUD)_/.test(name)),
  );
}

function spawnLattice(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [LATTICE_BIN, ...args], {
    env: flagsOnlyEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The outcome of a finished one-shot command. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** When it exited (ms epoch). */
  readonly endedAt: number;
  readonly durationMs: number;
}

/** Runs `lattice args…` to completion (SIGKILL and a rejection after `timeoutMs`). */
export function runLatticeCommand(args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  const startedAt = Date.now();
  const child = spawnLattice(args);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-OUTPUT_TAIL);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`lattice ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      const endedAt = Date.now();
      resolve({ code, stdout, stderr, endedAt, durationMs: endedAt - startedAt });
    });
  });
}

/** Runs `lattice args… --json` and parses what it prints; rejects unless it exits 0. */
export async function runLatticeJson<T>(
  args: readonly string[],
  timeoutMs?: number,
): Promise<T & CommandResult> {
  const result = await runLatticeCommand([...args, "--json"], timeoutMs);
  if (result.code !== 0) {
    throw new Error(`lattice ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return { ...(JSON.parse(result.stdout) as T), ...result };
}

/** The fields of a host's `/status` a scenario looks at. */
export interface HostStatus {
  readonly state: string;
  readonly revision: number;
  readonly backendRevision: number;
  readonly digest: string | null;
  readonly counts: { readonly linkdefs: number; readonly claims: number; readonly refmaps: number };
  readonly counters: { readonly resyncs: number; readonly feedRestarts: number };
  readonly lastError: string | null;
}

/** A host's `/entries`: storage key → the JSON text of its value. */
export type HostEntries = ReadonlyMap<string, string>;

interface EntriesBody {
  readonly collections: Record<string, readonly { readonly key: string; readonly value: unknown }[]>;
}

/** A running `lattice host` process (HTTP on a free loopback port). */
export class LatticeHostProcess {
  private output = "";
  private exited = false;
  private base = "";

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: string) => {
      this.output = (this.output + d).slice(-OUTPUT_TAIL);
    };
    child.stdout?.setEncoding("utf8").on("data", keep);
    child.stderr?.setEncoding("utf8").on("data", keep);
    child.once("close", () => {
      this.exited = true;
    });
  }

  /**
   * Starts `lattice <flags…> --host-id name --http-port 0 host --json` and resolves once it listens.
   * `flags` are the global flags that choose the backend, its server and the prefix.
   */
  static async start(name: string, flags: readonly string[]): Promise<LatticeHostProcess> {
    const host = new LatticeHostProcess(
      name,
      spawnLattice([...flags, "--host-id", name, "--http-port", "0", "host", "--json"]),
    );
    try {
      host.base = await waitFor(
        () => {
          if (host.exited) throw new Error(`lattice host ${name} exited before listening`);
          return /"event":"listening","url":"([^"]+)"/.exec(host.output)?.[1];
        },
        { timeoutMs: 30_000, what: `lattice host ${name} listening` },
      );
    } catch (error) {
      host.child.kill("SIGKILL");
      throw new Error(`${(error as Error).message}\n${host.tail()}`);
    }
    return host;
  }

  /** True until the process has exited: a host alive at the end of a scenario was never restarted. */
  get alive(): boolean {
    return !this.exited;
  }

  /** GET /status. */
  async status(): Promise<HostStatus> {
    return (await this.get("/status")) as HostStatus;
  }

  /** GET /entries, as storage key → value JSON. */
  async entries(): Promise<HostEntries> {
    const body = (await this.get("/entries")) as EntriesBody;
    const out = new Map<string, string>();
    for (const list of Object.values(body.collections)) {
      for (const entry of list) out.set(entry.key, JSON.stringify(entry.value));
    }
    return out;
  }

  /** The end of what it printed (its log), for failure messages. */
  tail(lines = 20): string {
    return `--- ${this.name} ---\n${this.output.trim().split("\n").slice(-lines).join("\n")}`;
  }

  /** SIGTERM, SIGKILL after 10 s; resolves once it exited. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const closed = new Promise<void>((resolve) => this.child.once("close", () => resolve()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await closed;
    clearTimeout(timer);
  }

  private async get(path: string): Promise<unknown> {
    const response = await fetch(`${this.base}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    if (!response.ok) throw new Error(`${this.name} GET ${path}: ${response.status} ${body}`);
    return JSON.parse(body);
  }
}
