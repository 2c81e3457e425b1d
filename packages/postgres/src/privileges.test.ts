// Credentials and privileges: what the server refuses is a PermissionDeniedError at once (no retries until
// the connect timeout), naming what is missing; a role with exactly the privileges the README lists uses a
// lattice it could not create.
import { LatticeCacheError } from "@lattice-cache/core/backend";
import { disposeAll, type PostgresServerHandle, startPostgresServer } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresBackend } from "./postgres-backend.js";
import {
  eventually,
  FeedLog,
  jsonBytes,
  TEST_TUNING,
  uniquePrefix,
} from "./postgres-test-support.test-helpers.js";

const server: PostgresServerHandle = await startPostgresServer();
await server.query(
  "CREATE ROLE stranger LOGIN PASSWORD 'stranger-pw';\nCREATE ROLE writer LOGIN PASSWORD 'writer-pw';",
);

afterAll(() => disposeAll());

/** The server's URL as another role. */
function urlAs(user: string, password: string): string {
  const url = new URL(server.url);
  url.username = user;
  url.password = password;
  return url.toString();
}

/** A lattice created by its owner, the role `lattice`. */
async function ownedLattice(): Promise<string> {
  const prefix = uniquePrefix("priv");
  const owner = new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
  await owner.write({ key: "LINKDEF_a", value: jsonBytes(1), origin: "owner" });
  await owner.close();
  return prefix;
}

/** What `open()` throws (fails the test if it resolves), and how long it took. */
async function openFailure(backend: PostgresBackend): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await backend.open();
  } catch (error) {
    return { error, ms: Date.now() - started };
  } finally {
    await backend.close();
  }
  throw new Error("open() succeeded");
}

describe("credentials and privileges", () => {
  it("a wrong password is PERMISSION_DENIED at once, without the password in the message", async () => {
    const url = urlAs("lattice", "not-the-password");
    const { error, ms } = await openFailure(
      new PostgresBackend({ url, prefix: uniquePrefix(), ...TEST_TUNING, connectTimeoutMs: 20_000 }),
    );
    expect(LatticeCacheError.hasCode(error, "PERMISSION_DENIED")).toBe(true);
    expect(String((error as Error).message)).toMatch(/credentials/);
    expect(String((error as Error).message)).not.toContain("not-the-password");
    expect(ms).toBeLessThan(5_000);
  });

  it("a role without privileges on an existing lattice gets PERMISSION_DENIED naming what it needs", async () => {
    const prefix = await ownedLattice();
    const { error, ms } = await openFailure(
      new PostgresBackend({ url: urlAs("stranger", "stranger-pw"), prefix, ...TEST_TUNING }),
    );
    expect(LatticeCacheError.hasCode(error, "PERMISSION_DENIED")).toBe(true);
    expect((error as Error).message).toMatch(/permission denied/);
    expect((error as Error).message).toMatch(/USAGE on the lattice's schema/);
    expect(ms).toBeLessThan(5_000);
  });

  it("a role that may not create the lattice gets PERMISSION_DENIED when it is missing", async () => {
    const { error } = await openFailure(
      new PostgresBackend({ url: urlAs("stranger", "stranger-pw"), prefix: uniquePrefix(), ...TEST_TUNING }),
    );
    expect(LatticeCacheError.hasCode(error, "PERMISSION_DENIED")).toBe(true);
    expect((error as Error).message).toMatch(/permission denied for database/);
  });

  it("a role with the README's privileges (no CREATE) writes to and follows a lattice its owner created", async () => {
    const prefix = await ownedLattice();
    const schema = `"lattice_${prefix}"`;
    await server.query(
      [
        `GRANT USAGE ON SCHEMA ${schema} TO writer;`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO writer;`,
        `GRANT EXECUTE ON FUNCTION ${schema}.lattice_write(text, bytea, bigint, text, bigint) TO writer;`,
      ].join("\n"),
    );
    const backend = new PostgresBackend({ url: urlAs("writer", "writer-pw"), prefix, ...TEST_TUNING });
    const log = new FeedLog();
    const feed = backend.subscribe({ revision: 0 }, log);
    try {
      expect(await backend.write({ key: "LINKDEF_b", value: jsonBytes(2), origin: "writer" })).toEqual({
        revision: 2,
      });
      await eventually("the feed delivered both writes", () => log.entries.length >= 2);
      expect(log.entries.map((entry) => entry.key)).toEqual(["LINKDEF_a", "LINKDEF_b"]);
      expect(log.gaps).toEqual([]);
    } finally {
      await feed.close();
      await backend.close();
    }
  });
});
