// Whether a lattice exists on a real redis-server: `provision: "bind"` opens only an existing lattice and
// writes nothing otherwise; `listRedisLattices` names every lattice (by its epoch key) and writes nothing.
import { LatticeNotFoundError } from "@lattice-cache/core/backend";
import { disposeAll, type RedisServerHandle, startRedisServer } from "@lattice-cache/test-harness";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRedisLattices } from "./lattice-listing.js";
import { RedisBackend } from "./redis-backend.js";
import { uniquePrefix } from "./redis-test-support.test-helpers.js";

let server: RedisServerHandle;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin?.disconnect();
  await disposeAll();
});

async function createLattice(prefix: string): Promise<void> {
  const backend = new RedisBackend({ url: server.url, prefix });
  await backend.open();
  await backend.close();
}

describe('provision: "bind" — the lattice must exist', () => {
  it("a missing lattice is a LatticeNotFoundError naming the prefix; no key is written", async () => {
    const prefix = uniquePrefix("missing");
    const backend = new RedisBackend({ url: server.url, prefix, provision: "bind" });
    const error = await backend.open().catch((e: unknown) => e);
    await backend.close();
    expect(error).toBeInstanceOf(LatticeNotFoundError);
    expect(error).toMatchObject({ code: "LATTICE_NOT_FOUND", prefix });
    expect(await admin.keys(`{lattice:${prefix}}*`)).toEqual([]);
  });

  it("an existing lattice is opened and read", async () => {
    const prefix = uniquePrefix("present");
    await createLattice(prefix);
    const backend = new RedisBackend({ url: server.url, prefix, provision: "bind" });
    await backend.open();
    try {
      expect((await backend.head()).revision).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it("refuses a provision mode it does not know, naming the field", () => {
    expect(() => new RedisBackend({ url: server.url, provision: "sometimes" as unknown as "bind" })).toThrow(
      /redis\.provision/,
    );
  });
});

describe("listRedisLattices", () => {
  it("names every lattice by its epoch key, and only those; listing writes nothing", async () => {
    const a = uniquePrefix("a");
    // A prefix with . and : (older releases made such lattices; the prefix rule refuses them now) is listed too.
    const b = `${uniquePrefix("b")}.with:colon`;
    await createLattice(a);
    await admin.set(`{lattice:${b}}:epoch`, "older-release");
    await admin.set("{lattice:not-an-epoch}:revision", "3");
    const keysBefore = await admin.dbsize();
    const lattices = await listRedisLattices({ url: server.url });
    expect(lattices).toEqual(expect.arrayContaining([a, b]));
    expect(lattices).not.toContain("not-an-epoch");
    expect(await admin.dbsize()).toBe(keysBefore);
  });

  it("a refused password is a PermissionDeniedError that does not echo it", async () => {
    const guarded = await startRedisServer({ password: "the-right-one" });
    const error = await listRedisLattices({ url: guarded.url, password: "wrong-secret-value" }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "PERMISSION_DENIED" });
    expect(String(error)).not.toContain("wrong-secret-value");
  });

  it("an unreachable server is a BackendUnavailableError", async () => {
    await expect(
      listRedisLattices({ url: "redis://127.0.0.1:1", connectTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
  });
});
