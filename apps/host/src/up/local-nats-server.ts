// Starts and stops the nats-server `lattice up` runs when nothing answers at the NATS URL.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { OperationalError } from "../cli/cli-errors.js";
import { probeNats } from "./nats-probe.js";

/** Directories searched for `nats-server` after `$PATH` (Debian installs it in /usr/sbin). */
const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin"];

/** The install hint printed when nats-server is missing. */
export const NATS_INSTALL_HINT =
  "install it with `sudo apt-get install -y nats-server` (Debian/Ubuntu), or start a NATS server with " +
  "JetStream (`nats-server -js`) yourself and pass its URL with --nats-url";

/** The `nats-server` executable on `$PATH`, /usr/sbin or /usr/local/sbin, or undefined. */
export function findNatsServer(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const dirs = [...(env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, "nats-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `$XDG_DATA_HOME/lattice-cache` or `~/.local/share/lattice-cache`. */
export function latticeDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const base =
    env.XDG_DATA_HOME && env.XDG_DATA_HOME.trim() !== ""
      ? env.XDG_DATA_HOME
      : join(homedir(), ".local", "share");
  return join(base, "lattice-cache");
}

/** Options of {@link startLocalNatsServer}. */
export interface LocalNatsServerOptions {
  /** Interface to listen on (from the NATS URL). */
  readonly host: string;
  /** Client port (from the NATS URL). */
  readonly port: number;
  /** JetStream store dir (nats-server adds `jetstream/` below it). */
  readonly storeDir: string;
  /** Where the server's output goes. */
  readonly logFile: string;
  /** The executable. Default: {@link findNatsServer}. */
  readonly executable?: string;
  /** How long to wait for the server to answer with JetStream on. Default 20 000 ms. */
  readonly startTimeoutMs?: number;
  /** Environment whose PATH is searched. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A nats-server this process started. */
export interface LocalNatsServer {
  readonly url: string;
  readonly pid: number;
  readonly storeDir: string;
  readonly logFile: string;
  readonly version: string;
  /** Called once if the server exits on its own. */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `nats-server -js` on `host:port` with its store under `storeDir`, and resolves once it greets
 * with JetStream enabled. The server runs in its own process group so a terminal's Ctrl-C reaches only
 * this process, which then stops the host first and the server last.
 */
export async function startLocalNatsServer(options: LocalNatsServerOptions): Promise<LocalNatsServer> {
  const executable = options.executable ?? findNatsServer(options.env);
  if (!executable) {
    throw new OperationalError(
      `nats-server was not found on PATH, in /usr/sbin or /usr/local/sbin: ${NATS_INSTALL_HINT}`,
    );
  }
  mkdirSync(options.storeDir, { recursive: true });
  const log = openSync(options.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      executable,
      [
        "-js",
        "-a",
        options.host,
        "-p",
        String(options.port),
        "-sd",
        options.storeDir,
        "-n",
        `lattice-local-${options.port}`,
      ],
      { detached: true, stdio: ["ignore", log, log] },
    );
  } finally {
    closeSync(log);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: -1, signal: null }));
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });
  // If this process dies without a clean stop, do not leave the server behind.
  const killOnExit = () => {
    if (running) child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  let version = "unknown";
  for (;;) {
    if (!running) {
      process.off("exit", killOnExit);
      const how = await exited;
      throw new OperationalError(
        `nats-server exited while starting (code ${how.code ?? how.signal}); last log lines:\n${tail(options.logFile)}`,
      );
    }
    const probe = await probeNats(options.host, options.port, 1000);
    if (probe.kind === "nats" && probe.info.jetstream) {
      version = probe.info.version;
      break;
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      process.off("exit", killOnExit);
      throw new OperationalError(
        `nats-server did not answer on ${options.host}:${options.port} with JetStream within ` +
          `${options.startTimeoutMs ?? 20_000} ms; last log lines:\n${tail(options.logFile)}`,
      );
    }
    await sleep(100);
  }

  let stopping: Promise<void> | undefined;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `nats://${host}:${options.port}`,
    pid: child.pid as number,
    storeDir: options.storeDir,
    logFile: options.logFile,
    version,
    onUnexpectedExit(listener) {
      void exited.then(({ code, signal }) => {
        if (!stopping) listener(code, signal);
      });
    },
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (running) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
          await exited;
          clearTimeout(timer);
        }
        process.off("exit", killOnExit);
      })();
      return stopping;
    },
  };
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
