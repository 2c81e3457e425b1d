// `lattice doctor` with `backend: postgres` against a real PostgreSQL: a healthy server, a wrong password, a
// role without privileges (whose fix, run as printed, makes it pass), a missing schema (creatable or not;
// doctor creates none), nothing listening and a server that does not answer. The version verdicts on
// made-up inspections: packages/postgres/src/host/postgres-checks.test.ts.

import type { DoctorCheck } from "@lattice-cache/plugin";
import {
  disposeAll,
  freePort,
  type PostgresServerHandle,
  startPostgresServer,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/program.js";

let server: PostgresServerHandle;

beforeAll(async () => {
  server = await startPostgresServer();
  await server.query("CREATE ROLE stranger LOGIN PASSWORD 'stranger-pw'");
});

afterAll(() => disposeAll());

/** The server's URL as another role (or with another password). */
const urlAs = (username: string, password: string) =>
  Object.assign(new URL(server.url), { username, password }).toString();

/** `lattice doctor --json` in this process: its exit code, its checks by name, and everything it printed. */
async function doctor(url: string, prefix: string, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(
    ["doctor", "--json", "--backend", "postgres", "--postgres-url", url, "--prefix", prefix],
    {
      io: {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        env,
      },
    },
  );
  const checks = JSON.parse(stdout) as DoctorCheck[];
  const byName = new Map(checks.map((c) => [c.name, c]));
  return { code, checks, byName, output: stdout + stderr };
}

/** Creates (or completes) the lattice `prefix` as a write command does, explicitly (doctor never creates one). */
async function createLattice(url: string, prefix: string): Promise<void> {
  let output = "";
  const code = await runCli(
    // `compact --dry-run` opens the backend (creating the lattice) and writes nothing: revision 0 stays.
    ["compact", "--dry-run", "--backend", "postgres", "--postgres-url", url],
    {
      io: {
        stdout: (t) => {
          output += t;
        },
        stderr: (t) => {
          output += t;
        },
        env: { LATTICE_PREFIX: prefix, LATTICE_CREATE_LATTICE: "always" },
      },
    },
  );
  expect(code, output).toBe(0);
}

describe("lattice doctor, backend postgres", () => {
  it("a healthy server and a lattice the role owns: every check passes (fsync off is the harness's: a warning)", async () => {
    const first = await doctor(server.url, "healthy");
    // The schema did not exist: creatable, but doctor creates no lattice (a typo must not make one).
    expect(first.code, first.output).toBe(1);
    expect(first.byName.get("lattice schema")?.detail).toMatch(/lattice_healthy does not exist yet/);
    expect(first.byName.get("lattice")).toMatchObject({
      outcome: "fail",
      detail: expect.stringMatching(/^no lattice named "healthy" on PostgreSQL at /),
    });
    expect(first.byName.has("open backend")).toBe(false);
    expect(await server.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'lattice_healthy'")).toBe(
      "0",
    );
    await createLattice(server.url, "healthy");

    const { code, checks, byName } = await doctor(server.url, "healthy");
    expect(code).toBe(0);
    expect(checks.map((c) => [c.name, c.outcome])).toEqual([
      ["configuration", "pass"],
      ["PostgreSQL reachable", "pass"],
      ["server version", "pass"],
      ["durable commits", "warn"],
      ["lattice schema", "pass"],
      ["privileges", "pass"],
      ["lattice", "pass"],
      ["open backend", "pass"],
      ["initial sync", "pass"],
      ["replica state", "pass"],
    ]);
    expect(byName.get("PostgreSQL reachable")?.detail).toMatch(
      /^connected to 127\.0\.0\.1:\d+\/lattice as role lattice \(no TLS\)$/,
    );
    expect(byName.get("server version")?.detail).toMatch(new RegExp(`^PostgreSQL ${server.version}\\.`));
    expect(byName.get("durable commits")?.detail).toMatch(/fsync = off/);
    expect(byName.get("lattice schema")?.detail).toMatch(
      /^lattice_healthy \(owner lattice\): revision 0, epoch [0-9a-f-]{36}, change log empty$/,
    );
    expect(byName.get("privileges")?.detail).toBe(
      "role lattice may use lattice_healthy, read and write its tables and execute lattice_write",
    );
  });

  it("a wrong password: PostgreSQL reachable fails naming the refused credentials, never echoing the password", async () => {
    const { code, checks, byName, output } = await doctor(urlAs("lattice", "wrong-pw-7f3a"), "healthy");
    expect(code).toBe(1);
    expect(checks.map((c) => c.name)).toEqual(["configuration", "PostgreSQL reachable"]);
    expect(byName.get("PostgreSQL reachable")).toMatchObject({
      outcome: "fail",
      detail: expect.stringMatching(/the server refused the credentials \(password authentication failed/),
      fix: expect.stringMatching(/LATTICE_POSTGRES_PASSWORD.*pg_hba\.conf/),
    });
    expect(output).not.toContain("wrong-pw-7f3a");
  });

  it("a role without privileges on an existing lattice: the GRANTs it needs, which make doctor pass once run", async () => {
    const url = urlAs("stranger", "stranger-pw");
    const before = await doctor(url, "healthy");
    expect(before.code).toBe(1);
    expect(before.byName.get("lattice schema")).toMatchObject({
      outcome: "pass",
      detail: expect.stringMatching(/this role may not read the metadata row/),
    });
    const privileges = before.byName.get("privileges");
    expect(privileges).toMatchObject({
      outcome: "fail",
      detail:
        "role stranger lacks USAGE on schema lattice_healthy; SELECT, INSERT, UPDATE, DELETE on meta; " +
        "SELECT, INSERT, UPDATE, DELETE on entries; SELECT, INSERT, UPDATE, DELETE on changes",
    });
    // (Functions are executable by PUBLIC unless revoked, so EXECUTE is not lacking.) Run the fix as printed (its statements after the "as … or a superuser:" lead).
    const grants = (privileges?.fix ?? "").replace(/^[^:]*: /, "");
    expect(grants).toMatch(/^GRANT USAGE ON SCHEMA "lattice_healthy" TO "stranger";/);
    await server.query(grants.replaceAll("; ", ";\n"));

    const after = await doctor(url, "healthy");
    expect(after.code, after.output).toBe(0);
    expect(after.byName.get("privileges")?.outcome).toBe("pass");
    expect(after.byName.get("lattice schema")?.detail).toMatch(/revision 0, epoch/);
  });

  it("a missing schema the role may not create: both checks fail with GRANT CREATE ON DATABASE", async () => {
    const { code, byName } = await doctor(urlAs("stranger", "stranger-pw"), "missing");
    expect(code).toBe(1);
    expect(byName.get("lattice schema")).toMatchObject({
      outcome: "fail",
      detail: "lattice_missing does not exist, and role stranger may not create it",
    });
    expect(byName.get("privileges")).toMatchObject({
      outcome: "fail",
      detail: "role stranger lacks CREATE on database lattice, which creating the lattice takes",
      fix: 'as the database\'s owner or a superuser: `GRANT CREATE ON DATABASE "lattice" TO "stranger";`',
    });
    expect(byName.has("open backend")).toBe(false);
  });

  it("a schema without its tables: incomplete, completed by the first host when the role owns it", async () => {
    await server.query('CREATE SCHEMA "lattice_partial" AUTHORIZATION lattice');
    const owner = await doctor(server.url, "partial");
    expect(owner.byName.get("lattice schema")).toMatchObject({
      outcome: "warn",
      detail: expect.stringMatching(
        /^lattice_partial lacks table meta, table entries, table changes, function lattice_write/,
      ),
    });
    // Not a lattice yet (no metadata table): doctor says so and completes nothing; the first host does.
    expect(owner.code, owner.output).toBe(1);
    expect(owner.byName.get("lattice")?.outcome).toBe("fail");
    await createLattice(server.url, "partial");
    const completed = await doctor(server.url, "partial");
    expect(completed.code, completed.output).toBe(0);
    expect(completed.byName.get("lattice schema")?.outcome).toBe("pass");
  });

  it("nothing listening, and a server that does not answer: refused and timed out, each with its fix", async () => {
    const port = await freePort();
    const refused = await doctor(`postgres://lattice:pw@127.0.0.1:${port}/lattice`, "healthy");
    expect(refused.code).toBe(1);
    expect(refused.byName.get("PostgreSQL reachable")).toMatchObject({
      outcome: "fail",
      detail: expect.stringMatching(/nothing accepts connections there \(connect ECONNREFUSED/),
      fix: expect.stringMatching(/start PostgreSQL there/),
    });

    server.pause();
    try {
      const started = Date.now();
      const silent = await doctor(server.url, "healthy", { LATTICE_CONNECT_TIMEOUT_MS: "1000" });
      expect(silent.code).toBe(1);
      expect(silent.byName.get("PostgreSQL reachable")).toMatchObject({
        outcome: "fail",
        detail: expect.stringMatching(/no answer in time/),
        fix: expect.stringMatching(/firewall/),
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      server.resume();
    }
  });
});
