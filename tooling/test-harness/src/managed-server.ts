import { accessSync, constants, statSync } from "node:fs";
import { connect } from "node:net";
import { resolve } from "node:path";
import { trackResource } from "./cleanup-registry.js";
import { findExecutable } from "./find-executable.js";
import { freePort, LOOPBACK } from "./free-port.js";
import type { ProcessUser } from "./managed-process.js";
import { ManagedServerHandle, type ServerProcessControls } from "./managed-server-handle.js";
import { listensOn } from "./tcp-probe.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

/** Where a server started by {@link startManagedServer} listens and keeps its files. */
export interface ManagedServerContext {
  readonly host: "127.0.0.1";
  /** The port the server must listen on (127.0.0.1). */
  readonly port: number;
  /** More free ports by the names asked for in {@link ManagedServerOptions.extraPorts}, e.g. `{ peer: 15123 }`. */
  readonly extraPorts: Readonly<Record<string, number>>;
  /** The server's private temp dir: its working dir, for config, data and logs; removed by `dispose()`. */
  readonly dir: string;
  /** `<scheme>://127.0.0.1:<port>`. */
  readonly url: string;
}

/** What a readiness check of {@link startManagedServer} sees: where the server is, and what it printed. */
export interface ManagedServerProbe extends ManagedServerContext {
  /** stdout and stderr of the current start (its last 16 KiB). */
  readonly output: string;
  /** The pid of the process being started. */
  readonly pid: number | undefined;
}

/** Options of {@link startManagedServer}. */
export interface ManagedServerOptions {
  /** Names the server in errors and its temp dir (`lattice-<name>-XXXXXX`), e.g. `etcd`. */
  readonly name: string;
  /**
   * The executable: a bare name is looked up like nats-server's (`PATH`, then the sbin directories; a missing
   * one fails with a clear error), a path is used as it is.
   */
  readonly command: string;
  /** Its arguments, fixed or made from where it must listen: `({ port, dir }) => ["--port", String(port)]`. */
  readonly args?: readonly string[] | ((server: ManagedServerContext) => readonly string[]);
  /**
   * When the server is ready, checked every 100 ms after each (re)start until `startTimeoutMs`:
   * - a pattern its stdout or stderr prints once it serves (`/ready to accept connections/`), or
   * - a probe resolving truthy once it serves (rejections count as "not yet"); prefer one that also proves
   *   the answer comes from this very process (`probe.pid`), as the nats and redis handles do.
   * Default: the process listens on `port` (read from `/proc`, so a port some other process answers on does
   * not count); where `/proc` cannot tell, the port accepts a TCP connection. A server whose listening
   * socket belongs to a child process it forks needs a `ready` of its own.
   */
  readonly ready?: RegExp | ((probe: ManagedServerProbe) => boolean | Promise<boolean>);
  /** Environment variables set for the server (on top of this process's; `undefined` removes one). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Runs before every start attempt, e.g. to write a config file into `dir`. */
  readonly prepare?: (server: ManagedServerContext) => void | Promise<void>;
  /** A fixed port (default: a free one, picked again if the server reports it taken). */
  readonly port?: number;
  /** Names of further free ports the server needs (a peer or metrics port): `context.extraPorts[name]`. */
  readonly extraPorts?: readonly string[];
  /** The scheme of `url` (default `tcp`): `http` gives `http://127.0.0.1:<port>`. */
  readonly scheme?: string;
  /** Readiness deadline of every (re)start in milliseconds (default 20 000). */
  readonly startTimeoutMs?: number;
  /**
   * Run the server as this user and group (needs root), e.g. one that refuses to run as root; `prepare`
   * must then make `dir` usable by it. Default: as this process.
   */
  readonly user?: ProcessUser;
  /** The signal `stop()` asks the server to shut down with (default SIGTERM; PostgreSQL: SIGINT). */
  readonly stopSignal?: NodeJS.Signals;
}

/** A running (or stopped) server started by {@link startManagedServer}: the lifecycle of the nats and redis handles. */
export interface ManagedServer extends ManagedServerContext, ServerProcessControls {
  /** The `name` it was started with. */
  readonly name: string;
  /** Recent stdout/stderr of the process over all starts. */
  readonly output: string;
}

const DEFAULT_START_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;
/** What a server that could not bind its port typically prints. */
const PORT_TAKEN = /address already in use|EADDRINUSE|port is already (in use|allocated)/i;

/** Resolves true once something accepts a TCP connection on `port`, false when refused or after 1 s. */
export function acceptsConnections(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (accepted: boolean): void => {
      socket.destroy();
      done(accepted);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/** The executable `command` names: looked up when it is a bare name, checked when it is a path. */
function executableOf(command: string): string {
  if (!command.includes("/")) {
    return findExecutable(command);
  }
  const path = resolve(command);
  try {
    accessSync(path, constants.X_OK);
    if (statSync(path).isFile()) {
      return path;
    }
  } catch {
    // reported below
  }
  throw new Error(`${command} is not an executable file; the test harness cannot start it`);
}

/** `env` on top of this process's environment, `undefined` values removing a variable. */
function environment(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) {
      delete merged[name];
    } else {
      merged[name] = value;
    }
  }
  return merged;
}

class GenericServer extends ManagedServerHandle implements ManagedServer {
  readonly host = LOOPBACK;
  readonly name: string;
  readonly port: number;
  readonly extraPorts: Readonly<Record<string, number>>;
  readonly url: string;
  readonly #ready: ManagedServerOptions["ready"];

  constructor(
    context: ManagedServerContext,
    fields: { name: string; executable: string; args: readonly string[]; options: ManagedServerOptions },
  ) {
    super({
      name: fields.name,
      label: `${fields.name} (port ${context.port})`,
      executable: fields.executable,
      args: fields.args,
      dir: context.dir,
      readyTimeoutMs: fields.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      ...(fields.options.env === undefined ? {} : { env: environment(fields.options.env) }),
      ...(fields.options.user === undefined ? {} : { user: fields.options.user }),
      ...(fields.options.stopSignal === undefined ? {} : { stopSignal: fields.options.stopSignal }),
    });
    this.name = fields.name;
    this.port = context.port;
    this.extraPorts = context.extraPorts;
    this.url = context.url;
    this.#ready = fields.options.ready;
  }

  protected override async probeReady(): Promise<boolean> {
    const ready = this.#ready;
    if (ready === undefined) {
      const pid = this.pid;
      return pid !== undefined && (listensOn(pid, this.port) ?? (await acceptsConnections(this.port)));
    }
    const output = this.outputSinceStart;
    if (ready instanceof RegExp) {
      ready.lastIndex = 0;
      return ready.test(output);
    }
    const { host, port, extraPorts, dir, url, pid } = this;
    return Boolean(await ready({ host, port, extraPorts, dir, url, output, pid }));
  }

  protected override diagnostics(): string {
    return "";
  }
}

/**
 * Starts any server process the way the nats and redis handles start theirs: on 127.0.0.1 and a free port
 * (plus any `extraPorts`), in a private temp dir, waiting until it is ready (`ready`), tracked so that it is
 * SIGKILLed and its dir removed at process exit — by the orphan watchdog even when the test process itself
 * is SIGKILLed — and disposed by `disposeAll()`. A free port another process grabs first is picked again
 * when the server says so (`address already in use`).
 *
 * ```ts
 * const etcd = await startManagedServer({
 *   name: "etcd",
 *   command: "etcd",
 *   extraPorts: ["peer"],
 *   args: ({ url, dir, extraPorts }) => [
 *     "--data-dir", dir,
 *     "--listen-client-urls", url, "--advertise-client-urls", url,
 *     "--listen-peer-urls", `http://127.0.0.1:${extraPorts.peer}`,
 *   ],
 *   scheme: "http",
 *   ready: async ({ url }) => (await fetch(`${url}/health`)).ok,
 * });
 * ```
 */
export async function startManagedServer(options: ManagedServerOptions): Promise<ManagedServer> {
  const name = options.name.trim();
  if (name === "") {
    throw new Error("startManagedServer needs a name");
  }
  const executable = executableOf(options.command);
  const dir = await makeTempDir(name.replace(/[^A-Za-z0-9_.-]+/g, "-"));
  try {
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = options.port ?? (await freePort());
      const extraPorts: Record<string, number> = {};
      for (const extra of options.extraPorts ?? []) {
        extraPorts[extra] = await freePort();
      }
      const context: ManagedServerContext = {
        host: LOOPBACK,
        port,
        extraPorts,
        dir,
        url: `${options.scheme ?? "tcp"}://${LOOPBACK}:${port}`,
      };
      await options.prepare?.(context);
      const args = typeof options.args === "function" ? options.args(context) : (options.args ?? []);
      const server = new GenericServer(context, { name, executable, args, options });
      try {
        await server.start();
        trackResource(server);
        return server;
      } catch (error) {
        lastError = error;
        const clash = PORT_TAKEN.test(server.outputSinceStart);
        if (!(clash && options.port === undefined)) {
          break;
        }
      }
    }
    throw lastError;
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}
