import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import {
  findPostgres,
  PostgresNotInstalledError,
  PostgresQueryError,
  startPostgresServer,
} from "./postgres-server.js";
import { pidsWorkingIn } from "./process-state.js";
import { isAlive } from "./tcp.test-helpers.js";

const { psql: psqlPath, major } = findPostgres();

/** libpq settings of this process that could redirect psql, removed. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PG")));
  return { ...env, PGCONNECT_TIMEOUT: "5", ...extra };
}

/** Runs `sql` with psql as a client would: `target` is a URL or a conninfo string. */
function psql(target: string, sql: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      psqlPath,
      ["-XAtq", "-v", "ON_ERROR_STOP=1", "-d", target, "-c", sql],
      { env: cleanEnv(env), timeout: 20_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr || error.message)) : resolve(stdout.trim()),
    );
  });
}

/** One psql session kept open: a connection (and its backend) that lives across server events. */
class Session {
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  #waiting: ((line: string) => void) | undefined;
  #buffer = "";

  constructor(url: string) {
    this.#child = spawn(psqlPath, ["-XAtq", "-d", url], { env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"] });
    const onData = (chunk: Buffer): void => {
      this.#buffer += chunk.toString("utf8");
      for (let end = this.#buffer.indexOf("\n"); end >= 0; end = this.#buffer.indexOf("\n")) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 1);
        const waiting = this.#waiting;
        this.#waiting = undefined;
        if (waiting === undefined) {
          this.#lines.push(line);
        } else {
          waiting(line);
        }
      }
    };
    this.#child.stdout?.on("data", onData);
    this.#child.stderr?.on("data", onData);
  }

  /** Sends one statement and resolves the first line it prints (a row or an error). */
  query(sql: string): Promise<string> {
    const line = new Promise<string>((resolve) => {
      const ready = this.#lines.shift();
      if (ready === undefined) {
        this.#waiting = resolve;
      } else {
        resolve(ready);
      }
    });
    this.#child.stdin?.write(`${sql}\n`);
    return line;
  }

  close(): void {
    this.#child.kill("SIGKILL");
  }
}

describe("startPostgresServer", () => {
  afterAll(() => disposeAll());

  it("serves the lattice role on a free port: owner of database lattice, no superuser", async () => {
    const password = "p@ss:w'rd/?#%";
    const pg = await startPostgresServer({ password });
    expect(pg.host).toBe("127.0.0.1");
    expect(pg.port).not.toBe(5432);
    expect(pg.version).toBe(major);
    expect(pg.password).toBe(password);
    expect(pg.url).toBe(`postgres://lattice:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/lattice`);
    expect(pg.tls).toBeUndefined();
    expect(
      await psql(
        pg.url,
        "SELECT current_user, current_database(), rolsuper FROM pg_roles WHERE rolname = current_user",
      ),
    ).toBe("lattice|lattice|f");
    // CREATE on its database: a schema and a table of its own.
    await psql(
      pg.url,
      "CREATE SCHEMA app; CREATE TABLE app.t (k text PRIMARY KEY); INSERT INTO app.t VALUES ('a')",
    );
    expect(await psql(pg.url, "SELECT k FROM app.t")).toBe("a");
    await expect(psql(pg.url, "ALTER SYSTEM SET work_mem = '8MB'")).rejects.toThrow(
      /must be superuser|permission denied/,
    );
    await expect(psql(pg.url.replace(encodeURIComponent(password), "wrong"), "SELECT 1")).rejects.toThrow(
      /password authentication failed/,
    );
    // The superuser: through query() and through adminUrl.
    expect(await pg.query("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")).toBe(
      "postgres|t",
    );
    expect(await pg.query("SELECT count(*) FROM app.t; SELECT 'two'")).toBe("1\ntwo");
    expect(await psql(pg.adminUrl, "SELECT current_user")).toBe("postgres");
    const failed = await pg.query("SELECT * FROM nosuch").catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PostgresQueryError);
    expect((failed as PostgresQueryError).stderr).toMatch(/relation "nosuch" does not exist/);
    expect((failed as Error).message).toMatch(/relation "nosuch" does not exist/);
    // Not as root, with its unix socket in its own dir.
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pg.pid}/status`, "utf8"))?.[1];
    expect(uid).not.toBe("0");
    expect(statSync(join(pg.dir, `.s.PGSQL.${pg.port}`)).isSocket()).toBe(true);
    await pg.dispose();
  });

  it("serves TLS with a certificate the CA at tls.caPath verifies, and plain TCP too", async () => {
    const pg = await startPostgresServer({ tls: true });
    const caPath = pg.tls?.caPath ?? "";
    expect(existsSync(caPath)).toBe(true);
    const conninfo = `host=127.0.0.1 port=${pg.port} user=lattice dbname=lattice`;
    const ssl = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    const env = { PGPASSWORD: pg.password };
    expect(await psql(`${conninfo} sslmode=verify-full sslrootcert=${caPath}`, ssl, env)).toBe("t");
    expect(await psql(`${conninfo} sslmode=disable`, ssl, env)).toBe("f");
    await pg.dispose();
  });

  it("keeps its data across kill -9 and restart, once the old backends are gone", async () => {
    const pg = await startPostgresServer();
    await psql(pg.url, "CREATE TABLE t (i int); INSERT INTO t SELECT generate_series(1, 1000)");
    const session = new Session(pg.url);
    const backend = Number(await session.query("SELECT pg_backend_pid();"));
    const { port, pid } = pg;
    await pg.kill("SIGKILL");
    expect(pg.running).toBe(false);
    expect(isAlive(pid ?? 0)).toBe(false);
    await pg.restart();
    expect(isAlive(backend)).toBe(false);
    expect(pg.port).toBe(port);
    expect(pg.pid).not.toBe(pid);
    expect(await psql(pg.url, "SELECT count(*) FROM t")).toBe("1000");
    session.close();
    await pg.dispose();
  });

  it("stops fast with a connection open (SIGINT), and restarts with its data", async () => {
    const pg = await startPostgresServer();
    await psql(pg.url, "CREATE TABLE t (i int); INSERT INTO t VALUES (7)");
    const session = new Session(pg.url);
    await session.query("BEGIN; SELECT 1;");
    const started = Date.now();
    await pg.stop();
    expect(Date.now() - started).toBeLessThan(4_500); // not the SIGKILL after 5 s a smart shutdown would need
    expect(pg.running).toBe(false);
    await pg.restart();
    expect(await psql(pg.url, "SELECT i FROM t")).toBe("7");
    session.close();
    await pg.dispose();
  });

  it("pause() freezes the postmaster only: new connections hang, open ones still answer", async () => {
    const pg = await startPostgresServer();
    const session = new Session(pg.url);
    expect(await session.query("SELECT 1;")).toBe("1");
    pg.pause();
    try {
      // One attempt (no GSS or TLS first, each of which would wait out the timeout again); libpq's least is 2 s.
      const once = { PGCONNECT_TIMEOUT: "2", PGGSSENCMODE: "disable", PGSSLMODE: "disable" };
      await expect(psql(pg.url, "SELECT 1", once)).rejects.toThrow(/timeout/);
      expect(await session.query("SELECT 2;")).toBe("2");
    } finally {
      pg.resume();
    }
    expect(await psql(pg.url, "SELECT 3")).toBe("3");
    session.close();
    await pg.dispose();
  });

  it("dispose removes the process, its backends, its dir and its shared memory, also after a kill -9", async () => {
    const pg = await startPostgresServer();
    const { pid, dir } = pg;
    const session = new Session(pg.url);
    await session.query("SELECT 1;");
    const shmid = readFileSync(join(dir, "data", "postmaster.pid"), "utf8")
      .split("\n")[6]
      ?.trim()
      .split(/\s+/)[1];
    await pg.kill("SIGKILL");
    await pg.dispose();
    expect(isAlive(pid ?? 0)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(pidsWorkingIn(join(dir, "data"))).toEqual([]);
    const segments = readFileSync("/proc/sysvipc/shm", "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/)[1]);
    expect(segments).not.toContain(shmid);
    await expect(pg.restart()).rejects.toThrow(/disposed/);
    session.close();
  });

  it("runs two servers at once on different ports", async () => {
    const [a, b] = await Promise.all([startPostgresServer(), startPostgresServer()]);
    expect(a.port).not.toBe(b.port);
    expect(a.dir).not.toBe(b.dir);
    await a.query("CREATE TABLE only_a (i int)");
    expect(await psql(b.url, "SELECT to_regclass('only_a') IS NULL")).toBe("t");
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it("says how to install PostgreSQL when it is missing", async () => {
    const empty = await mkdtemp(join(tmpdir(), "lattice-no-postgres-"));
    try {
      expect(() => findPostgres(empty)).toThrow(PostgresNotInstalledError);
      expect(() => findPostgres(empty)).toThrow(/apt-get install postgresql/);
    } finally {
      await rm(empty, { recursive: true });
    }
  });
});
