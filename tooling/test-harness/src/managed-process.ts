import { type ChildProcess, spawn } from "node:child_process";
import { basename } from "node:path";
import { trackPid, untrackPid } from "./cleanup-registry.js";
import { OutputTail } from "./output-tail.js";
import { waitUntilStopped } from "./process-state.js";
import { waitFor } from "./wait-for.js";

/** How to launch a server process and how to tell that it is ready. */
export interface ManagedProcessSpec {
  /** Name used in error messages, e.g. `nats-server n1`. */
  readonly label: string;
  /** Absolute path of the executable. */
  readonly executable: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** One readiness probe; resolves truthy once the server is ready. Rejections count as "not yet". */
  readonly probe: () => Promise<boolean>;
  /** Deadline for readiness after each start. */
  readonly readyTimeoutMs: number;
  /** Extra text (e.g. the tail of a log file) appended to startup error messages. */
  readonly diagnostics?: () => string;
  /** The environment of the process (default: this process's own). */
  readonly env?: NodeJS.ProcessEnv;
  /** Runs the process as this user and group instead of our own (needs root), e.g. a server refusing root. */
  readonly user?: ProcessUser;
  /** The signal `stop()` asks the process to shut down with (default SIGTERM). */
  readonly stopSignal?: NodeJS.Signals;
}

/** A user and group id to run a process as. */
export interface ProcessUser {
  readonly uid: number;
  readonly gid: number;
}

interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Upper bound for waiting on an exit after a signal; keeps a forgotten stopped process from hanging. */
const EXIT_WAIT_MS = 20_000;

function unrefStream(stream: unknown): void {
  (stream as { unref?: () => void } | null)?.unref?.();
}

function signalOrIgnore(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) {
    return;
  }
  try {
    process.kill(pid, signal);
  } catch {
    // the process exited in between
  }
}

/**
 * One server process that can be started, signalled, paused and started again with the same arguments.
 * Every child is registered for SIGKILL at process exit; the child handle is unref'd so a forgotten server
 * never keeps the test process alive.
 */
export class ManagedProcess {
  readonly #spec: ManagedProcessSpec;
  readonly #output = new OutputTail();
  /** The output of the latest start only: what a readiness check that reads the output may look at. */
  #startOutput = new OutputTail();
  #child: ChildProcess | undefined;
  #exit: Promise<ExitInfo> | undefined;
  #exited = true;
  #paused = false;

  constructor(spec: ManagedProcessSpec) {
    this.#spec = spec;
  }

  /** The pid of the running process, `undefined` when it is not running. */
  get pid(): number | undefined {
    return this.#exited ? undefined : this.#child?.pid;
  }

  /** Whether the process has been spawned and has not exited yet (a paused process is running). */
  get running(): boolean {
    return !this.#exited;
  }

  /** Recent stdout/stderr of the process (all starts). */
  get output(): string {
    return this.#output.toString();
  }

  /** Recent stdout/stderr of the latest start only (empty before the first). */
  get outputSinceStart(): string {
    return this.#startOutput.toString();
  }

  /** Spawns the process and waits until the readiness probe succeeds. */
  async start(): Promise<void> {
    if (this.running) {
      throw new Error(`${this.#spec.label} is already running (pid ${this.pid})`);
    }
    const child = spawn(this.#spec.executable, [...this.#spec.args], {
      cwd: this.#spec.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      ...(this.#spec.env === undefined ? {} : { env: this.#spec.env }),
      ...(this.#spec.user === undefined ? {} : { uid: this.#spec.user.uid, gid: this.#spec.user.gid }),
    });
    this.#child = child;
    this.#exited = false;
    this.#paused = false;
    const startOutput = new OutputTail();
    this.#startOutput = startOutput;
    const record = (chunk: Buffer): void => {
      this.#output.append(chunk);
      startOutput.append(chunk);
    };
    child.stdout?.on("data", record);
    child.stderr?.on("data", record);
    unrefStream(child.stdout);
    unrefStream(child.stderr);
    child.unref();
    const pid = child.pid;
    this.#exit = new Promise<ExitInfo>((resolve) => {
      const finish = (info: ExitInfo): void => {
        this.#exited = true;
        this.#paused = false;
        if (pid !== undefined) {
          untrackPid(pid);
        }
        resolve(info);
      };
      child.once("exit", (code, signal) => finish({ code, signal }));
      child.once("error", (error) => {
        record(Buffer.from(`\n[spawn error] ${error.message}\n`));
        if (child.pid === undefined) {
          finish({ code: null, signal: null });
        }
      });
    });
    if (pid !== undefined) {
      trackPid(pid, basename(this.#spec.executable));
    }
    await this.#waitReady();
  }

  async #waitReady(): Promise<void> {
    const { label, readyTimeoutMs, probe } = this.#spec;
    let outcome: "ready" | "exited";
    try {
      outcome = await waitFor<"ready" | "exited">(
        async () => {
          if (!this.running) {
            return "exited";
          }
          return (await probe()) ? "ready" : undefined;
        },
        { timeoutMs: readyTimeoutMs, intervalMs: 100, what: `${label} to become ready` },
      );
    } catch (error) {
      await this.kill("SIGKILL");
      throw new Error(`${(error as Error).message}${this.#describeOutput()}`);
    }
    if (outcome === "exited") {
      const info = await this.#exit;
      throw new Error(
        `${label} exited during startup (code ${info?.code ?? "none"}, signal ${info?.signal ?? "none"})` +
          this.#describeOutput(),
      );
    }
  }

  #describeOutput(): string {
    const output = this.output.trim();
    const extra = this.#spec.diagnostics?.().trim() ?? "";
    const parts = [output ? `output:\n${output}` : "", extra].filter((part) => part !== "");
    return parts.length > 0 ? `\n${parts.join("\n")}` : "";
  }

  /** Sends `signal` (default SIGKILL) and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.running) {
      return;
    }
    const pid = this.pid;
    signalOrIgnore(pid, signal);
    if (this.#paused && signal !== "SIGKILL") {
      // A stopped process only acts on the signal once it is continued.
      signalOrIgnore(pid, "SIGCONT");
      this.#paused = false;
    }
    if (!(await this.#waitExit(EXIT_WAIT_MS))) {
      throw new Error(`${this.#spec.label} (pid ${pid}) did not exit within ${EXIT_WAIT_MS}ms of ${signal}`);
    }
  }

  /**
   * The stop signal (SIGTERM unless the spec names another), then SIGKILL if the process has not exited
   * after `graceMs`; resolves once it exited.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) {
      return;
    }
    const pid = this.pid;
    signalOrIgnore(pid, this.#spec.stopSignal ?? "SIGTERM");
    if (this.#paused) {
      signalOrIgnore(pid, "SIGCONT");
      this.#paused = false;
    }
    if (!(await this.#waitExit(graceMs))) {
      await this.kill("SIGKILL");
    }
  }

  /**
   * Freezes the process with SIGSTOP (its sockets stay open but nothing is processed). Returns only once
   * every thread has actually stopped (up to 5 s), since SIGSTOP takes effect asynchronously.
   */
  pause(): void {
    const pid = this.pid;
    if (pid !== undefined) {
      signalOrIgnore(pid, "SIGSTOP");
      this.#paused = true;
      waitUntilStopped(pid);
    }
  }

  /** Continues a paused process with SIGCONT. */
  resume(): void {
    if (this.running) {
      signalOrIgnore(this.pid, "SIGCONT");
      this.#paused = false;
    }
  }

  /** Resolves true once the process has exited, false if `ms` passed first. The timer keeps Node alive. */
  async #waitExit(ms: number): Promise<boolean> {
    const exit = this.#exit;
    if (exit === undefined || !this.running) {
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([exit.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
