// `backend: postgres` in the host: the `postgres` settings from a flag, the environment or a file, their
// secrets masked; and end to end, a host on PostgreSQL sees a CLI write on /status. The options the plugin
// makes of them: packages/postgres/src/host/postgres-plugin.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError } from "@lattice-cache/core";
import {
  disposeAll,
  type PostgresServerHandle,
  startPostgresServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { maskSecrets } from "../config/mask-secrets.js";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import { createDefaultBackendRegistry } from "./builtin-backends.js";

const BACKENDS = createDefaultBackendRegistry().names;
const URL_WITH_SECRET = "postgres://lattice:pw-in-url-secret@db.example:5432/lattice";
const dir = mkdtempSync(join(tmpdir(), "lattice-postgres-config-"));

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("backend: postgres — the postgres settings", () => {
  it("postgres.url comes from --postgres-url, LATTICE_POSTGRES_URL or the file, flags first", () => {
    const fromFile = file("postgres.yaml", "backend: postgres\npostgres:\n  url: postgres://file-host/db\n");
    expect(loadConfig({ flags: { config: fromFile }, env: {}, backends: BACKENDS }).postgres.url).toBe(
      "postgres://file-host/db",
    );
    const env = { LATTICE_BACKEND: "postgres", LATTICE_POSTGRES_URL: "postgresql://env-host/db" };
    expect(loadConfig({ flags: { config: fromFile }, env, backends: BACKENDS })).toMatchObject({
      backend: "postgres",
      postgres: { url: "postgresql://env-host/db" },
    });
    const flags = { config: fromFile, postgresUrl: "postgres://flag-host/db" };
    expect(loadConfig({ flags, env, backends: BACKENDS }).postgres.url).toBe("postgres://flag-host/db");
  });

  it("every option of the backend is a setting of the file, with the backend's defaults", () => {
    const tuned = file(
      "tuned.yaml",
      "backend: postgres\npostgres:\n  poolSize: 4\n  statementTimeoutMs: 2000\n",
    );
    expect(loadConfig({ flags: { config: tuned }, env: {}, backends: BACKENDS }).postgres).toMatchObject({
      poolSize: 4,
      statementTimeoutMs: 2000,
      changeLogLength: 100_000,
      durable: true,
      statusChannel: "notify",
    });
  });

  it("refuses a URL of another scheme, naming postgres.url", () => {
    let error: unknown;
    try {
      loadConfig({
        flags: { backend: "postgres", postgresUrl: "mysql://h/db" },
        env: {},
        backends: BACKENDS,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe("postgres.url");
  });

  it("masks the URL's credentials and the password for printing", () => {
    const config = loadConfig({
      env: {
        LATTICE_BACKEND: "postgres",
        LATTICE_POSTGRES_URL: URL_WITH_SECRET,
        LATTICE_POSTGRES_PASSWORD: "pw-option-secret",
      },
      backends: BACKENDS,
    });
    const masked = maskSecrets(config);
    expect(JSON.stringify(masked)).not.toMatch(/pw-in-url-secret|pw-option-secret/);
    expect(masked.postgres).toMatchObject({
      url: "postgres://lattice:***@db.example:5432/lattice",
      password: "***",
    });
  });
});

describe("backend: postgres — a host and the CLI", () => {
  it("config print masks the URL; a host on PostgreSQL sees a CLI write on /status", async () => {
    const printed = await runLattice(
      ["config", "print", "--backend", "postgres", "--postgres-url", URL_WITH_SECRET],
      {
        env: cleanEnv(),
      },
    );
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain("postgres://lattice:***@db.example:5432/lattice");
    expect(printed.stdout + printed.stderr).not.toContain("pw-in-url-secret");

    const postgres: PostgresServerHandle = await startPostgresServer();
    const prefix = "pg-e2e";
    const host = LatticeProcess.start(
      ["host", "--backend", "postgres", "--http-port", "0", "--prefix", prefix],
      {
        env: cleanEnv({ LATTICE_POSTGRES_URL: postgres.url }),
      },
    );
    const [, url] = (await host.waitForOutput(
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    )) as RegExpMatchArray;
    const put = await runLattice(
      [
        "refmaps",
        "put",
        "ghcr.io/acme/echo:0.1.0",
        "MBCFOPM6JW2APJLXJD3Z5O4",
        "--backend",
        "postgres",
        "--postgres-url",
        postgres.url,
        "--prefix",
        prefix,
      ],
      { env: cleanEnv() },
    );
    expect(put.code, put.stderr).toBe(0);
    const status = await waitFor(
      async () => {
        const body = JSON.parse((await httpGet(`${url}/status`)).body) as {
          counts: Record<string, number>;
          backend: string;
          state: string;
        };
        return body.counts.refmaps === 1 ? body : undefined;
      },
      { what: "the host's /status to count the CLI's write" },
    );
    expect(status).toMatchObject({ backend: "postgres", state: "live" });
    expect(host.stdout + host.stderr).not.toContain(postgres.password);
  });
});
