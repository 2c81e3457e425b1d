// Whether a lattice exists in a real PostgreSQL database: `provision: "bind"` opens only an existing
// lattice and creates no schema otherwise; `listPostgresLattices` names every lattice and creates nothing.
import { LatticeNotFoundError } from "@lattice-cache/core/backend";
import { disposeAll, type PostgresServerHandle, startPostgresServer } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { listPostgresLattices } from "./lattice-listing.js";
import { PostgresBackend } from "./postgres-backend.js";
import { TEST_TUNING, uniquePrefix } from "./postgres-test-support.test-helpers.js";

const server: PostgresServerHandle = await startPostgresServer();

afterAll(() => disposeAll());

async function createLattice(prefix: string): Promise<void> {
  const backend = new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
  await backend.open();
  await backend.close();
}

function schemaCount(prefix: string): Promise<string> {
  return server.query(`SELECT count(*) FROM pg_namespace WHERE nspname = 'lattice_${prefix}'`);
}

describe('provision: "bind" — the lattice must exist', () => {
  it("a missing lattice is a LatticeNotFoundError naming the prefix, at once; no schema is created", async () => {
    const prefix = uniquePrefix("missing");
    const backend = new PostgresBackend({ url: server.url, prefix, provision: "bind", ...TEST_TUNING });
    const error = await backend.open().catch((e: unknown) => e);
    await backend.close();
    expect(error).toBeInstanceOf(LatticeNotFoundError);
    expect(error).toMatchObject({ code: "LATTICE_NOT_FOUND", prefix });
    expect(await schemaCount(prefix)).toBe("0");
  });

  it("an existing lattice is opened and read", async () => {
    const prefix = uniquePrefix("present");
    await createLattice(prefix);
    const backend = new PostgresBackend({ url: server.url, prefix, provision: "bind", ...TEST_TUNING });
    await backend.open();
    try {
      expect((await backend.head()).revision).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it("refuses a provision mode it does not know, naming the field", () => {
    expect(
      () =>
        new PostgresBackend({ url: server.url, provision: "sometimes" as unknown as "bind", ...TEST_TUNING }),
    ).toThrow(/postgres\.provision/);
  });
});

describe("listPostgresLattices", () => {
  it("names every lattice schema (with its meta table), and only those; listing creates nothing", async () => {
    const a = uniquePrefix("a");
    const b = uniquePrefix("b");
    await createLattice(a);
    await createLattice(b);
    await server.query("CREATE SCHEMA IF NOT EXISTS lattice_not_one");
    const before = await server.query("SELECT count(*) FROM pg_namespace");
    const lattices = await listPostgresLattices({ url: server.url, ...TEST_TUNING });
    expect(lattices).toEqual(expect.arrayContaining([a, b]));
    expect(lattices).not.toContain("not_one");
    expect(await server.query("SELECT count(*) FROM pg_namespace")).toBe(before);
  });

  it("an unreachable server is a BackendUnavailableError", async () => {
    const url = new URL(server.url);
    url.port = "1";
    await expect(
      listPostgresLattices({ url: url.toString(), ...TEST_TUNING, connectTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
  });
});
