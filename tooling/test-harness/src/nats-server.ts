import { rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { trackResource } from "./cleanup-registry.js";
import { findExecutable } from "./find-executable.js";
import { freePort } from "./free-port.js";
import { getJson, getJsonObject } from "./http-json.js";
import { ManagedServerHandle, type ServerProcessControls } from "./managed-server-handle.js";
import { renderNatsConfig } from "./nats-config.js";
import { readFileTail } from "./output-tail.js";
import { readFirstLine } from "./tcp-probe.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream (default true), with its store in {@link NatsServerOptions.storeDir}. */
  jetstream?: boolean;
  /** `server_name` (default: unique `nats-XXXXXX`). */
  serverName?: string;
  /** Client port (default: a free port). */
  port?: number;
  /** Enable HTTP monitoring on a free port (default true), needed for varz/jsz and readiness via /healthz. */
  httpMonitoring?: boolean;
  /** Raw nats-server configuration appended to the generated file (authorization, tls, accounts, ...). */
  config?: string;
  /** JetStream store dir (default `<dir>/jetstream`; nats-server itself adds a `jetstream/` level below). */
  storeDir?: string;
  /** JetStream domain (`jetstream { domain: ... }`). */
  jetstreamDomain?: string;
  /** Cluster membership; normally filled in by startNatsCluster. Route ports are used as given. */
  cluster?: { name: string; port: number; routes: number[] };
  /**
   * Leaf node settings: `listenPort` makes this server a hub accepting leaf connections (0 = pick a free
   * port, see {@link NatsServerHandle.leafnodePort}); `remotes` are URLs
   * (e.g. `nats-leaf://127.0.0.1:PORT`) this server connects to as a leaf.
   */
  leafnodes?: { listenPort?: number; remotes?: string[] };
  /** Log to `<dir>/nats.log` (default true); when false the log goes to stderr and `logPath` is "". */
  logFile?: boolean;
  /** Readiness deadline for every (re)start in milliseconds (default 20 000). */
  startTimeoutMs?: number;
}

/** A running (or stopped) nats-server started by {@link startNatsServer}. */
export interface NatsServerHandle extends ServerProcessControls {
  /** Client URL, `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** Client port. */
  readonly port: number;
  /** HTTP monitoring port, undefined if monitoring is disabled. */
  readonly monitorPort: number | undefined;
  /** Leaf node listen port when `leafnodes.listenPort` was given, else undefined. */
  readonly leafnodePort: number | undefined;
  readonly serverName: string;
  /** JetStream store dir as configured (nats-server keeps its data in `<storeDir>/jetstream`). */
  readonly storeDir: string;
  /** Private temp dir holding config, log and (by default) the JetStream store. */
  readonly dir: string;
  readonly configPath: string;
  /** Log file path, "" when `logFile: false`. */
  readonly logPath: string;
  /** Starts a stopped server with the same config, ports and store dir (e.g. after changing the store). */
  start(): Promise<void>;
  /** GET /varz from the monitoring port. */
  varz(): Promise<Record<string, unknown>>;
  /** GET /jsz from the monitoring port. */
  jsz(): Promise<Record<string, unknown>>;
  /** GET any monitoring endpoint, e.g. `/leafz`, `/routez`, `/connz?subs=1`; requires a 2xx reply. */
  monitor(path: string): Promise<Record<string, unknown>>;
}

/** Internal: how strict the readiness check is. Cluster members cannot be healthy before a quorum. */
type Readiness = "healthy" | "responding";

const DEFAULT_START_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

/** Whether `line` is a NATS `INFO {...}` greeting naming `serverName`. */
function isInfoFrom(line: string | undefined, serverName: string): boolean {
  if (line === undefined || !line.startsWith("INFO ")) {
    return false;
  }
  try {
    return (JSON.parse(line.slice(5)) as Record<string, unknown>)["server_name"] === serverName;
  } catch {
    return false;
  }
}

function looksLikeCluster(opts: NatsServerOptions): boolean {
  return opts.cluster !== undefined || /(^|\n)\s*cluster\s*[{:=]/.test(opts.config ?? "");
}

class NatsServer extends ManagedServerHandle implements NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number | undefined;
  readonly leafnodePort: number | undefined;
  readonly serverName: string;
  readonly storeDir: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly #readiness: Readiness;

  constructor(fields: {
    port: number;
    monitorPort: number | undefined;
    leafnodePort: number | undefined;
    serverName: string;
    storeDir: string;
    dir: string;
    configPath: string;
    logPath: string;
    executable: string;
    readiness: Readiness;
    startTimeoutMs: number;
  }) {
    super({
      name: `nats-server ${fields.serverName}`,
      label: `nats-server ${fields.serverName} (port ${fields.port})`,
      executable: fields.executable,
      args: ["-c", fields.configPath],
      dir: fields.dir,
      readyTimeoutMs: fields.startTimeoutMs,
    });
    this.port = fields.port;
    this.url = `nats://127.0.0.1:${fields.port}`;
    this.monitorPort = fields.monitorPort;
    this.leafnodePort = fields.leafnodePort;
    this.serverName = fields.serverName;
    this.storeDir = fields.storeDir;
    this.configPath = fields.configPath;
    this.logPath = fields.logPath;
    this.#readiness = fields.readiness;
  }

  protected override async probeReady(): Promise<boolean> {
    // The client port must greet us as *this* server, not as whoever else might hold the port.
    if (!isInfoFrom(await readFirstLine(this.port), this.serverName)) {
      return false;
    }
    if (this.monitorPort === undefined) {
      return true;
    }
    const { status } = await getJson(this.monitorPort, "/healthz");
    return this.#readiness === "healthy" ? status === 200 : status > 0;
  }

  protected override diagnostics(): string {
    return this.logPath ? `log tail (${this.logPath}):\n${readFileTail(this.logPath)}` : "";
  }

  varz(): Promise<Record<string, unknown>> {
    return this.monitor("/varz");
  }

  jsz(): Promise<Record<string, unknown>> {
    return this.monitor("/jsz");
  }

  monitor(path: string): Promise<Record<string, unknown>> {
    if (this.monitorPort === undefined) {
      return Promise.reject(
        new Error(`nats-server ${this.serverName} was started with httpMonitoring: false`),
      );
    }
    return getJsonObject(this.monitorPort, path.startsWith("/") ? path : `/${path}`);
  }
}

function isPortClash(server: NatsServer): boolean {
  const text = `${server.output}\n${server.logPath ? readFileTail(server.logPath) : ""}`;
  return /address already in use/i.test(text);
}

/**
 * Starts a nats-server on 127.0.0.1 in its own temp dir (config written to `<dir>/nats.conf`, started with
 * `nats-server -c`), by default with JetStream and HTTP monitoring on free ports, and resolves once it
 * accepts TCP connections and `/healthz` reports ok (for cluster members: once monitoring answers).
 * Automatically chosen ports are re-picked if another process grabs one before the server binds it.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const executable = findExecutable("nats-server");
  const dir = await makeTempDir("nats");
  try {
    const serverName = opts.serverName ?? `nats-${basename(dir).slice(-6)}`;
    const jetstream = opts.jetstream ?? true;
    const storeDir = opts.storeDir ?? join(dir, "jetstream");
    const logPath = (opts.logFile ?? true) ? join(dir, "nats.log") : "";
    const configPath = join(dir, "nats.conf");
    const readiness: Readiness = looksLikeCluster(opts) ? "responding" : "healthy";
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = opts.port ?? (await freePort());
      const monitorPort = (opts.httpMonitoring ?? true) ? await freePort() : undefined;
      const requestedLeafPort = opts.leafnodes?.listenPort;
      const leafnodePort = requestedLeafPort === 0 ? await freePort() : requestedLeafPort;
      const config = renderNatsConfig({
        serverName,
        port,
        monitorPort,
        logPath: logPath || undefined,
        jetstreamStoreDir: jetstream ? storeDir : undefined,
        jetstreamDomain: opts.jetstreamDomain,
        cluster: opts.cluster,
        leafnodes: opts.leafnodes && { listenPort: leafnodePort, remotes: opts.leafnodes.remotes },
        extra: opts.config,
      });
      await writeFile(configPath, config);
      if (logPath) {
        await rm(logPath, { force: true });
      }
      const server = new NatsServer({
        port,
        monitorPort,
        leafnodePort,
        serverName,
        storeDir,
        dir,
        configPath,
        logPath,
        executable,
        readiness,
        startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      });
      try {
        await server.start();
        trackResource(server);
        return server;
      } catch (error) {
        lastError = error;
        const allPortsPicked =
          opts.port === undefined && opts.cluster === undefined && (requestedLeafPort ?? 0) === 0;
        if (!(allPortsPicked && isPortClash(server))) {
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
