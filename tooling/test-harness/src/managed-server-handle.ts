import { untrackResource } from "./cleanup-registry.js";
import { ManagedProcess, type ProcessUser } from "./managed-process.js";
import { removeTempDir } from "./temp-dir.js";

/** How a {@link ManagedServerHandle} launches its server process. */
export interface ManagedServerSpec {
  /** How the server is named in the "has been disposed" error, e.g. `nats-server n1`. */
  readonly name: string;
  /** Name of the process in startup and signal errors, e.g. `nats-server n1 (port 4222)`. */
  readonly label: string;
  /** Absolute path of the server executable. */
  readonly executable: string;
  readonly args: readonly string[];
  /** Private temp dir of the server: working dir of the process, removed by `dispose()`. */
  readonly dir: string;
  /** Readiness deadline for every (re)start in milliseconds. */
  readonly readyTimeoutMs: number;
  /** The environment of the server process (default: the test process's own). */
  readonly env?: NodeJS.ProcessEnv;
  /** The user and group the server runs as (default: ours). */
  readonly user?: ProcessUser;
  /** The signal of a graceful `stop()` (default SIGTERM). */
  readonly stopSignal?: NodeJS.Signals;
}

/** What every server handle of the harness (nats, redis, any managed server) lets a test do to its process. */
export interface ServerProcessControls {
  /** Pid while running, else undefined. */
  readonly pid: number | undefined;
  /** True while the process is alive (also when paused). */
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again with the same configuration, ports and dir (stopping it first if needed). */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Continues a paused process (SIGCONT). */
  resume(): void;
  /** Graceful SIGTERM (or the server's own stop signal), SIGKILL after 5 s; keeps the dir until dispose. */
  stop(): Promise<void>;
  /** Stops the server and removes its temp dir; idempotent. Also done by `disposeAll()` and at process exit. */
  dispose(): Promise<void>;
}

/**
 * The lifecycle shared by the harness's single-server handles (nats-server, redis-server): one
 * {@link ManagedProcess} in a private temp dir that can be started, killed, paused, resumed, stopped and
 * restarted, until {@link ManagedServerHandle.dispose} stops it for good, forgets it in the cleanup registry
 * and removes the temp dir.
 *
 * Subclasses supply the server-specific parts: the readiness probe and the diagnostics appended to startup
 * errors. Both are only called while (re)starting, i.e. after the subclass constructor has finished.
 * Registering the handle for `disposeAll` (`trackResource`) stays with the code that starts it.
 */
export abstract class ManagedServerHandle {
  /** Private temp dir of the server; removed by {@link ManagedServerHandle.dispose}. */
  readonly dir: string;
  readonly #name: string;
  readonly #process: ManagedProcess;
  #disposed = false;

  protected constructor(spec: ManagedServerSpec) {
    this.dir = spec.dir;
    this.#name = spec.name;
    this.#process = new ManagedProcess({
      label: spec.label,
      executable: spec.executable,
      args: spec.args,
      cwd: spec.dir,
      readyTimeoutMs: spec.readyTimeoutMs,
      ...(spec.env === undefined ? {} : { env: spec.env }),
      ...(spec.user === undefined ? {} : { user: spec.user }),
      ...(spec.stopSignal === undefined ? {} : { stopSignal: spec.stopSignal }),
      probe: () => this.probeReady(),
      diagnostics: () => this.diagnostics(),
    });
  }

  /** One readiness probe: resolves true once this very server answers. Rejections count as "not yet". */
  protected abstract probeReady(): Promise<boolean>;

  /** Extra text (e.g. a log tail) appended to startup error messages; "" for none. */
  protected abstract diagnostics(): string;

  /** Pid while running, else undefined. */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** True while the process is alive (also when paused). */
  get running(): boolean {
    return this.#process.running;
  }

  /** Recent stdout/stderr of the process over all starts, e.g. to detect port clashes at startup. */
  get output(): string {
    return this.#process.output;
  }

  /** Recent stdout/stderr of the latest start only, e.g. for a readiness check that waits for a log line. */
  get outputSinceStart(): string {
    return this.#process.outputSinceStart;
  }

  /** Starts the stopped server with the same arguments and waits until it is ready. */
  start(): Promise<void> {
    return this.#process.start();
  }

  /** Sends `signal` (default SIGKILL) and resolves once the process exited. */
  kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    return this.#process.kill(signal);
  }

  /** Stops the server if it is running and starts it again; rejects once the handle has been disposed. */
  async restart(): Promise<void> {
    if (this.#disposed) {
      throw new Error(`${this.#name} has been disposed and cannot be restarted`);
    }
    await this.#process.stop();
    await this.#process.start();
  }

  /** Freezes the process (SIGSTOP). */
  pause(): void {
    this.#process.pause();
  }

  /** Continues a paused process (SIGCONT). */
  resume(): void {
    this.#process.resume();
  }

  /** Graceful SIGTERM (or the spec's `stopSignal`), SIGKILL after 5 s; keeps the temp dir until dispose. */
  stop(): Promise<void> {
    return this.#process.stop();
  }

  /** Stops the server, stops tracking it for `disposeAll` and removes its temp dir; idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) {
      return;
    }
    this.#disposed = true;
    untrackResource(this);
    try {
      await this.#process.stop();
    } finally {
      await removeTempDir(this.dir);
    }
  }
}
