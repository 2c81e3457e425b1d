import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trackResource } from "./cleanup-registry.js";
import { findExecutable } from "./find-executable.js";
import { freePort } from "./free-port.js";
import { ManagedServerHandle, type ServerProcessControls } from "./managed-server-handle.js";
import { readFileTail } from "./output-tail.js";
import { type RedisCommandTarget, redisCommand, redisPipeline } from "./redis-client.js";
import { type RedisAclUser, renderRedisConfig } from "./redis-config.js";
import { formatReply } from "./resp-codec.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port (default: a free port). */
  port?: number;
  /** Enable the append-only file (default false). */
  appendonly?: boolean;
  /** Keep Redis' default RDB save points (default false: `save ""`, nothing survives a restart). */
  save?: boolean;
  /** `requirepass` for the default user. */
  password?: string;
  /** ACL users (`user NAME on >PASSWORD RULES`); without `password` the default user is switched off. */
  aclUsers?: RedisAclUser[];
  /** Cluster mode: `cluster-enabled yes`, node config file in the temp dir, bus port on a free port. */
  cluster?: boolean;
  /** Raw redis.conf text appended to the generated file. */
  extraConfig?: string;
  /** Readiness deadline for every (re)start in milliseconds (default 20 000). */
  startTimeoutMs?: number;
}

/** A running (or stopped) redis-server started by {@link startRedisServer}. */
export interface RedisServerHandle extends ServerProcessControls {
  /** `redis://127.0.0.1:PORT`, without credentials. */
  readonly url: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  /** Cluster bus port in cluster mode, else undefined. */
  readonly clusterBusPort: number | undefined;
  /** Private temp dir (working dir, config, log, AOF/RDB files). */
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /**
   * Runs one command on a fresh connection, authenticated with the configured password (default user)
   * or else the first ACL user, and resolves with the reply as text: strings as-is, integers as decimal
   * text, nil as `(nil)`, arrays JSON-encoded. An error reply rejects with `RedisReplyError`.
   */
  command(...args: string[]): Promise<string>;
}

const DEFAULT_START_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

/** The credentials `command()` and the readiness probe use for a server started with `opts`. */
function credentialsFor(opts: RedisServerOptions): Pick<RedisCommandTarget, "username" | "password"> {
  if (opts.password !== undefined) {
    return { password: opts.password };
  }
  const user = opts.aclUsers?.[0];
  return user !== undefined ? { username: user.name, password: user.password } : {};
}

class RedisServer extends ManagedServerHandle implements RedisServerHandle {
  readonly host = "127.0.0.1" as const;
  readonly url: string;
  readonly port: number;
  readonly clusterBusPort: number | undefined;
  readonly configPath: string;
  readonly logPath: string;
  readonly #target: RedisCommandTarget;

  constructor(fields: {
    port: number;
    clusterBusPort: number | undefined;
    dir: string;
    configPath: string;
    logPath: string;
    executable: string;
    credentials: Pick<RedisCommandTarget, "username" | "password">;
    startTimeoutMs: number;
  }) {
    super({
      name: `redis-server on port ${fields.port}`,
      label: `redis-server (port ${fields.port})`,
      executable: fields.executable,
      args: [fields.configPath],
      dir: fields.dir,
      readyTimeoutMs: fields.startTimeoutMs,
    });
    this.port = fields.port;
    this.url = `redis://127.0.0.1:${fields.port}`;
    this.clusterBusPort = fields.clusterBusPort;
    this.configPath = fields.configPath;
    this.logPath = fields.logPath;
    this.#target = { port: fields.port, ...fields.credentials };
  }

  protected override async probeReady(): Promise<boolean> {
    // PONG alone could come from whoever else holds the port; the reported process id must be ours.
    const [pong, info] = await redisPipeline({ ...this.#target, timeoutMs: 2_000 }, [
      ["PING"],
      ["INFO", "server"],
    ]);
    return pong === "PONG" && typeof info === "string" && info.includes(`process_id:${this.pid}\r\n`);
  }

  protected override diagnostics(): string {
    return `log tail (${this.logPath}):\n${readFileTail(this.logPath)}`;
  }

  async command(...args: string[]): Promise<string> {
    return formatReply(await redisCommand(this.#target, ...args));
  }
}

/**
 * Starts a redis-server on 127.0.0.1 in its own temp dir from a generated `redis.conf` (foreground,
 * protected mode off, no RDB snapshots and no AOF unless asked for) and resolves once PING answers PONG
 * (authenticated if credentials are configured). An automatically chosen port is re-picked if another
 * process grabs it before Redis binds it.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const executable = findExecutable("redis-server");
  const dir = await makeTempDir("redis");
  try {
    const configPath = join(dir, "redis.conf");
    const logPath = join(dir, "redis.log");
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = opts.port ?? (await freePort());
      const clusterBusPort = opts.cluster ? await freePort() : undefined;
      await writeFile(
        configPath,
        renderRedisConfig({
          port,
          dir,
          logPath,
          appendonly: opts.appendonly ?? false,
          save: opts.save ?? false,
          password: opts.password,
          aclUsers: opts.aclUsers,
          clusterBusPort,
          extra: opts.extraConfig,
        }),
      );
      await rm(logPath, { force: true });
      const server = new RedisServer({
        port,
        clusterBusPort,
        dir,
        configPath,
        logPath,
        executable,
        credentials: credentialsFor(opts),
        startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      });
      try {
        await server.start();
        trackResource(server);
        return server;
      } catch (error) {
        lastError = error;
        const clash = /address already in use/i.test(readFileTail(logPath));
        if (!(clash && opts.port === undefined)) {
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
