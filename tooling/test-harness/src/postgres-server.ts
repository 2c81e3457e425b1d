import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { chown, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { trackResource, untrackResource } from "./cleanup-registry.js";
import { findExecutable, isExecutable } from "./find-executable.js";
import { LOOPBACK } from "./free-port.js";
import type { ProcessUser } from "./managed-process.js";
import { acceptsConnections, type ManagedServer, startManagedServer } from "./managed-server.js";
import type { ServerProcessControls } from "./managed-server-handle.js";
import { removeOrphanedSegments, removeStaleSegment } from "./postgres-shared-memory.js";
import { pidsWorkingIn } from "./process-state.js";
import { makeAncestorsTraversable, unprivilegedUser } from "./system-user.js";
import { listensOn } from "./tcp-probe.js";
import { makeTlsCertificates, type TlsCertificates } from "./tls-certificates.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);

/** Options of {@link startPostgresServer}. */
export interface PostgresServerOptions {
  /** Password of the application role `lattice` (default: a random one). */
  password?: string;
  /** Serve TLS too (self-signed cert from the harness's existing tls-certificates.ts); `handle.tls.caPath`. */
  tls?: boolean;
  /** Readiness deadline per (re)start, ms (default 30 000). */
  startTimeoutMs?: number;
  /**
   * Further server settings, `-c name=value` after the harness's own (which they override), e.g.
   * `{ synchronous_commit: "off" }` for a benchmark that may lose the last commits on a crash.
   */
  settings?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * A running (or stopped) PostgreSQL cluster started by {@link startPostgresServer}.
 *
 * The process the controls act on is the postmaster. PostgreSQL forks a process per connection plus a few
 * helpers, so:
 * - `kill("SIGKILL")` is a crash: the port closes at once, the backends of open connections notice the
 *   postmaster's death and end those connections within moments (a backend busy in a long statement only
 *   once it finishes); `restart()` waits for them to be gone (SIGKILLing stragglers after 5 s), then
 *   PostgreSQL runs crash recovery: every committed transaction is still there.
 * - `pause()` stops the postmaster only: new connections hang (the kernel accepts them, nobody answers),
 *   while the backends of existing connections keep running and answering. It is not a silent partition;
 *   for that, connect through `startFaultProxy` and set its mode to `blackhole`.
 * - `stop()` is a fast shutdown (SIGINT: open transactions are rolled back and connections closed),
 *   SIGKILL after 5 s.
 */
export interface PostgresServerHandle extends ServerProcessControls {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** The server's private temp dir: the cluster in `data/`, the unix socket, the TLS files in `tls/`. */
  readonly dir: string;
  /** postgres://lattice:<password>@127.0.0.1:<port>/lattice — an ordinary role that owns database `lattice` (CREATE on it, not superuser). */
  readonly url: string;
  readonly user: "lattice";
  readonly password: string;
  readonly database: "lattice";
  /** A superuser URL (role `postgres`, password auth) for test setup that needs it (revoke privileges, drop schemas, pg_terminate_backend). */
  readonly adminUrl: string;
  /** With `tls: true`: the CA that signed the server's certificate (for `IP:127.0.0.1` and `DNS:localhost`). */
  readonly tls: { caPath: string } | undefined;
  /** The server's major version, e.g. 15. */
  readonly version: number;
  /**
   * Runs SQL with psql as the superuser on a fresh connection (to `database`, default `lattice`), statement
   * by statement, stopping at the first error; resolves stdout (`psql -XAtq`: rows only, unaligned, `|`
   * between columns, one row a line, without the last line break); rejects with a
   * {@link PostgresQueryError} carrying psql's stderr.
   */
  query(sql: string, database?: string): Promise<string>;
}

/** Thrown by {@link startPostgresServer} when no PostgreSQL server is installed. */
export class PostgresNotInstalledError extends Error {
  readonly code = "POSTGRES_NOT_INSTALLED";

  constructor(root: string) {
    super(
      `PostgreSQL is not installed: no ${root}/<major>/bin/postgres and initdb; ` +
        "apt-get install postgresql (npm test's bootstrap does that); the test harness starts a real server",
    );
    this.name = "PostgresNotInstalledError";
  }
}

/** A failed {@link PostgresServerHandle.query}: psql's exit code and what it printed on stderr. */
export class PostgresQueryError extends Error {
  readonly stderr: string;
  readonly exitCode: number | null;

  constructor(message: string, stderr: string, exitCode: number | null) {
    super(message);
    this.name = "PostgresQueryError";
    this.stderr = stderr;
    this.exitCode = exitCode;
  }
}

/** Where the server binaries of the highest installed major version are. */
export interface PostgresInstallation {
  readonly binDir: string;
  readonly major: number;
  readonly psql: string;
}

/** Debian's place for the server binaries: `/usr/lib/postgresql/<major>/bin`. */
const DEBIAN_ROOT = "/usr/lib/postgresql";
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** How long a query (psql) may take before it is killed; a paused server would otherwise hang it. */
const QUERY_TIMEOUT_MS = 30_000;
/** How long the backends of a SIGKILLed postmaster get to notice and exit before they are SIGKILLed. */
const LEFTOVER_GRACE_MS = 5_000;
/** What the postmaster logs once it serves, after a normal start and after crash recovery alike. */
const READY_LINE = /database system is ready to accept connections/;

/** The unix socket trusts (it lives in the server's private dir); TCP wants a password. */
const PG_HBA = `# written by @lattice-cache/test-harness
local all all trust
host all all 127.0.0.1/32 scram-sha-256
`;

/**
 * The highest major version installed under `root` (Debian: `/usr/lib/postgresql/<major>/bin`) that has
 * `postgres` and `initdb`, with the psql next to them (or on PATH); {@link PostgresNotInstalledError}
 * when there is none.
 */
export function findPostgres(root: string = DEBIAN_ROOT): PostgresInstallation {
  let majors: number[] = [];
  try {
    majors = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => b - a);
  } catch {
    // no such directory: not installed
  }
  for (const major of majors) {
    const binDir = join(root, String(major), "bin");
    if (isExecutable(join(binDir, "postgres")) && isExecutable(join(binDir, "initdb"))) {
      const psql = join(binDir, "psql");
      return { binDir, major, psql: isExecutable(psql) ? psql : findExecutable("psql") };
    }
  }
  throw new PostgresNotInstalledError(root);
}

function randomPassword(): string {
  return randomBytes(18).toString("base64url");
}

/** `value` as an SQL string literal. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** This process's environment without the libpq variables (PGHOST, PGSSLMODE, …) that would redirect psql. */
function psqlEnvironment(password: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("PG")) {
      env[name] = value;
    }
  }
  return { ...env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "10" };
}

/** Runs `sql` through psql (stdin) as `postgres` on 127.0.0.1:`port`. */
function runPsql(
  psql: string,
  target: { port: number; password: string; database: string },
  sql: string,
): Promise<string> {
  const args = [
    "-XAtq",
    "-v",
    "ON_ERROR_STOP=1",
    "-h",
    LOOPBACK,
    "-p",
    String(target.port),
    "-U",
    "postgres",
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(
      psql,
      [...args, "-d", target.database, "-f", "-"],
      {
        env: psqlEnvironment(target.password),
        timeout: QUERY_TIMEOUT_MS,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout.replace(/\n$/, ""));
          return;
        }
        const code = typeof error.code === "number" ? error.code : null;
        const why = error.killed ? `killed after ${QUERY_TIMEOUT_MS} ms` : `exit code ${code ?? "none"}`;
        const statement = sql.length > 200 ? `${sql.slice(0, 200)}…` : sql;
        reject(
          new PostgresQueryError(
            `psql on port ${target.port}, database ${target.database} (${why}): ${stderr.trim() || error.message}\n` +
              `SQL: ${statement}`,
            stderr,
            code,
          ),
        );
      },
    );
    child.stdin?.on("error", () => {
      // psql exited before reading all of its input; the exit callback reports why
    });
    child.stdin?.end(sql);
  });
}

/** Writes `text` to `path` (mode `mode`), owned by `user` when given. */
async function writeOwned(
  path: string,
  text: string,
  user: ProcessUser | undefined,
  mode = 0o600,
): Promise<void> {
  await writeFile(path, text, { mode });
  if (user !== undefined) {
    await chown(path, user.uid, user.gid);
  }
}

/** Copies `from` to `to` (mode 0600: PostgreSQL refuses a private key others may read), owned by `user`. */
async function copyOwned(from: string, to: string, user: ProcessUser | undefined): Promise<void> {
  await writeOwned(to, await readFile(from, "utf8"), user);
}

interface ClusterFiles {
  readonly installation: PostgresInstallation;
  readonly user: ProcessUser | undefined;
  readonly adminPassword: string;
  readonly certificates: TlsCertificates | undefined;
}

/**
 * Makes `dir` the server user's, runs initdb into `dir/data` unless a cluster is there already (a start
 * retried on another port keeps it), writes pg_hba.conf and copies the TLS files into `dir/tls`.
 */
async function prepareCluster(dir: string, files: ClusterFiles): Promise<void> {
  const { installation, user, adminPassword, certificates } = files;
  if (user !== undefined) {
    await makeAncestorsTraversable(dir);
    await chown(dir, user.uid, user.gid);
  }
  const dataDir = join(dir, "data");
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    await rm(dataDir, { recursive: true, force: true });
    const passwordFile = join(dir, "superuser-password");
    await writeOwned(passwordFile, `${adminPassword}\n`, user);
    try {
      await run(
        join(installation.binDir, "initdb"),
        [
          ["-D", dataDir, "-U", "postgres", `--pwfile=${passwordFile}`],
          ["--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"],
        ].flat(),
        { cwd: dir, ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }) },
      );
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`initdb ${dataDir} failed: ${(stderr || stdout || String(error)).trim()}`);
    } finally {
      await rm(passwordFile, { force: true });
    }
  }
  await writeOwned(join(dataDir, "pg_hba.conf"), PG_HBA, user);
  if (certificates !== undefined) {
    const tlsDir = join(dir, "tls");
    await mkdir(tlsDir, { recursive: true });
    if (user !== undefined) {
      await chown(tlsDir, user.uid, user.gid);
    }
    await copyOwned(certificates.serverCert, join(tlsDir, "server.pem"), user);
    await copyOwned(certificates.serverKey, join(tlsDir, "server.key"), user);
    await copyFile(certificates.caFile, join(tlsDir, "ca.pem"));
  }
}

/** The postgres command line: the cluster in `dir/data`, its socket in `dir`, tuned for throwaway speed. */
function serverArgs(
  dir: string,
  port: number,
  tls: boolean,
  extra: PostgresServerOptions["settings"] = {},
): string[] {
  const settings: Record<string, string | number | boolean> = {
    listen_addresses: LOOPBACK,
    unix_socket_directories: dir,
    max_connections: 200,
    // Throwaway data: no fsync, no full-page images. Commits stay synchronous (one write(2) each, no fsync):
    // with synchronous_commit=off a kill -9 loses the last acknowledged commits, which a reliability test
    // would blame on the backend.
    fsync: "off",
    full_page_writes: "off",
    synchronous_commit: "on",
    // Dynamic shared memory in files of the data dir rather than /dev/shm: removed with the dir after a kill.
    dynamic_shared_memory_type: "mmap",
    log_destination: "stderr",
    logging_collector: "off",
    lc_messages: "C",
    ...(tls
      ? {
          ssl: "on",
          ssl_cert_file: join(dir, "tls", "server.pem"),
          ssl_key_file: join(dir, "tls", "server.key"),
        }
      : {}),
    ...extra,
  };
  const options = Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${String(value)}`]);
  return ["-D", join(dir, "data"), "-p", String(port), ...options];
}

function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres");
  } catch {
    return false;
  }
}

class PostgresServer implements PostgresServerHandle {
  readonly host = LOOPBACK;
  readonly user = "lattice" as const;
  readonly database = "lattice" as const;
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  readonly password: string;
  readonly adminUrl: string;
  readonly tls: { caPath: string } | undefined;
  readonly version: number;
  readonly #server: ManagedServer;
  readonly #psql: string;
  readonly #adminPassword: string;
  readonly #dataDir: string;
  #disposed = false;

  constructor(fields: {
    server: ManagedServer;
    installation: PostgresInstallation;
    password: string;
    adminPassword: string;
    tls: boolean;
  }) {
    const { server, installation, password, adminPassword } = fields;
    this.#server = server;
    this.#psql = installation.psql;
    this.#adminPassword = adminPassword;
    // As /proc shows a process's working dir: without symbolic links (a $TMPDIR behind one).
    this.#dataDir = realpathSync(join(server.dir, "data"));
    this.port = server.port;
    this.dir = server.dir;
    this.version = installation.major;
    this.password = password;
    const address = `${LOOPBACK}:${server.port}`;
    this.url = `postgres://lattice:${encodeURIComponent(password)}@${address}/lattice`;
    this.adminUrl = `postgres://postgres:${encodeURIComponent(adminPassword)}@${address}/postgres`;
    this.tls = fields.tls ? { caPath: join(server.dir, "tls", "ca.pem") } : undefined;
  }

  get pid(): number | undefined {
    return this.#server.pid;
  }

  get running(): boolean {
    return this.#server.running;
  }

  /** Signals the postmaster (default SIGKILL: a crash) and resolves once it exited; its backends may linger briefly. */
  kill(signal?: NodeJS.Signals): Promise<void> {
    return this.#server.kill(signal);
  }

  /** Starts the cluster again on the same port and data (crash recovery after a kill), once the old backends are gone. */
  async restart(): Promise<void> {
    if (this.#disposed) {
      throw new Error(`postgres on port ${this.port} has been disposed and cannot be restarted`);
    }
    await this.stop();
    await this.#server.restart();
  }

  /** SIGSTOP to the postmaster only: new connections hang, existing ones keep being served (see the interface). */
  pause(): void {
    this.#server.pause();
  }

  resume(): void {
    this.#server.resume();
  }

  /** Fast shutdown (SIGINT), SIGKILL after 5 s; resolves once no process of the cluster is left. Keeps the data. */
  async stop(): Promise<void> {
    await this.#server.stop();
    await this.#awaitLeftovers();
  }

  async dispose(): Promise<void> {
    if (this.#disposed) {
      return;
    }
    this.#disposed = true;
    untrackResource(this);
    try {
      await this.stop();
      await removeStaleSegment(this.#dataDir);
    } finally {
      await this.#server.dispose();
    }
  }

  query(sql: string, database = "lattice"): Promise<string> {
    return runPsql(this.#psql, { port: this.port, password: this.#adminPassword, database }, sql);
  }

  /**
   * Waits until no process works in the data dir any more — the backends of a SIGKILLed postmaster keep
   * the cluster's shared memory attached, and a new postmaster refuses to start while they do — and
   * SIGKILLs those still there after {@link LEFTOVER_GRACE_MS}.
   */
  async #awaitLeftovers(): Promise<void> {
    const leftovers = (): number[] => pidsWorkingIn(this.#dataDir).filter(isPostgresProcess);
    if (leftovers().length === 0) {
      return;
    }
    const gone = async (timeoutMs: number): Promise<boolean> =>
      waitFor(() => leftovers().length === 0, {
        timeoutMs,
        intervalMs: 20,
        what: "old backends to exit",
      }).then(
        () => true,
        () => false,
      );
    if (await gone(LEFTOVER_GRACE_MS)) {
      return;
    }
    for (const pid of leftovers()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // exited in between
      }
    }
    if (!(await gone(LEFTOVER_GRACE_MS))) {
      throw new Error(
        `postgres on port ${this.port}: processes ${leftovers().join(", ")} keep running in ${this.#dataDir}`,
      );
    }
  }
}

/**
 * Starts a throwaway PostgreSQL cluster (the highest major version in `/usr/lib/postgresql/<major>/bin`,
 * Debian's `postgresql` package) on 127.0.0.1 and a free port, its data and unix socket in a private temp
 * dir, through {@link startManagedServer}: initdb once (superuser `postgres` with a random password,
 * scram over TCP, trust on the socket), then the role `lattice` (LOGIN, not superuser) owning database
 * `lattice`. Tuned for speed, not durability against a machine crash (`fsync=off`, `full_page_writes=off`;
 * commits stay synchronous, so a `kill -9` loses nothing acknowledged). Ready once the postmaster logged
 * "database system is ready to accept connections" and itself listens on the port.
 *
 * `initdb` and `postgres` refuse to run as root: as root the server runs as the system user `lattice-pg`
 * (created with `useradd --system` when missing), which gets the temp dir, and every directory above it
 * gets the others-may-traverse bit (a 0700 `$TMPDIR`); otherwise it runs as this process's user.
 *
 * Cleanup as for every harness server: `dispose()`, `disposeAll()`, process exit and the orphan watchdog
 * (which SIGKILL the postmaster; its backends then exit on their own).
 */
export async function startPostgresServer(
  options: PostgresServerOptions = {},
): Promise<PostgresServerHandle> {
  const installation = findPostgres();
  const user = await unprivilegedUser();
  if (user !== undefined) {
    await removeOrphanedSegments(user);
  }
  const password = options.password ?? randomPassword();
  const adminPassword = randomPassword();
  const tls = options.tls ?? false;
  const certificates = tls ? await makeTlsCertificates() : undefined;
  let server: ManagedServer;
  try {
    server = await startManagedServer({
      name: "postgres",
      command: join(installation.binDir, "postgres"),
      ...(user === undefined ? {} : { user }),
      stopSignal: "SIGINT",
      startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      prepare: ({ dir }) => prepareCluster(dir, { installation, user, adminPassword, certificates }),
      args: ({ dir, port }) => serverArgs(dir, port, tls, options.settings),
      // The log line says this postmaster serves; that it listens itself says the port is not someone else's.
      ready: async ({ output, pid, port }) =>
        READY_LINE.test(output) &&
        pid !== undefined &&
        (listensOn(pid, port) ?? (await acceptsConnections(port))),
    });
  } finally {
    await certificates?.dispose();
  }
  const handle = new PostgresServer({ server, installation, password, adminPassword, tls });
  untrackResource(server);
  trackResource(handle);
  try {
    await handle.query(
      `CREATE ROLE lattice LOGIN PASSWORD ${sqlString(password)};\nCREATE DATABASE lattice OWNER lattice;\n`,
      "postgres",
    );
  } catch (error) {
    await handle.dispose();
    throw error;
  }
  return handle;
}
