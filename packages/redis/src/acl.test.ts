// Authentication and ACLs against a real redis-server: the right user works with least privilege; a wrong
// password or a user without rights on the lattice's keys fails with PermissionDeniedError.
import { inspect } from "node:util";
import { LatticeCache } from "@lattice-cache/core";
import { PermissionDeniedError } from "@lattice-cache/core/backend";
import { disposeAll, type RedisServerHandle, startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import { claimsValue, uniquePrefix } from "./redis-test-support.test-helpers.js";

/** Least privilege for one host on every lattice (`{lattice:*}` keys); what the README recommends. */
const LATTICE_RULES =
  "resetkeys ~{lattice:*}:* resetchannels -@all +@connection +info +eval +evalsha " +
  "+get +set +hget +hset +hlen +hgetall +hvals +hscan +xadd +xrange +xrevrange +xread";

let server: RedisServerHandle;

beforeAll(async () => {
  server = await startRedisServer({
    aclUsers: [
      { name: "lattice", password: "correct horse", rules: LATTICE_RULES },
      { name: "elsewhere", password: "pw2", rules: LATTICE_RULES.replace("{lattice:*}", "{lattice:other}") },
      {
        name: "noscript",
        password: "pw3",
        rules: LATTICE_RULES.replace(" +set ", " ").replace(" +xadd", ""),
      },
      { name: "reader", password: "pw4", rules: LATTICE_RULES.replace(/ \+(set|hset|xadd)\b/g, "") },
    ],
  });
});

afterAll(async () => {
  await disposeAll();
});

describe("ACL user with a password", () => {
  it("works with least privilege: writes, conditional writes and the feed", async () => {
    const prefix = uniquePrefix("acl");
    const backend = new RedisBackend({
      url: server.url,
      prefix,
      username: "lattice",
      password: "correct horse",
    });
    const cache = await LatticeCache.open({ backend });
    try {
      await cache.ready(20_000);
      const { revision } = await cache.claims.put(claimsValue("MACL"), { expectedRevision: 0 });
      expect(revision).toBe(1);
      const reader = await LatticeCache.open({
        backend: new RedisBackend({
          url: server.url.replace("redis://", "redis://lattice:correct%20horse@"),
          prefix,
        }),
      });
      await reader.ready(20_000);
      expect(reader.claims.get("MACL")?.sub).toBe("MACL");
      await reader.close();
    } finally {
      await cache.close();
    }
  });

  it("a read-only user (no SET/HSET/XADD) syncs and follows; its writes fail with PermissionDeniedError", async () => {
    const prefix = uniquePrefix("acl");
    const writer = await LatticeCache.open({
      backend: new RedisBackend({ url: server.url, prefix, username: "lattice", password: "correct horse" }),
    });
    const reader = await LatticeCache.open({
      backend: new RedisBackend({ url: server.url, prefix, username: "reader", password: "pw4" }),
    });
    try {
      await writer.ready(20_000);
      await reader.ready(20_000);
      await writer.claims.put(claimsValue("MREAD"));
      await expect(reader.waitForRevision(1, 20_000)).resolves.toBe(true);
      expect(reader.claims.get("MREAD")?.sub).toBe("MREAD");
      await expect(reader.claims.put(claimsValue("MNOPE"))).rejects.toBeInstanceOf(PermissionDeniedError);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it("a wrong password fails open() with PermissionDeniedError, without the password in the message", async () => {
    const logged: unknown[] = [];
    const record = (obj: object, msg?: string) => logged.push(obj, msg);
    const logger = { debug: record, info: record, warn: record, error: record };
    const backend = new RedisBackend({
      url: server.url,
      username: "lattice",
      password: "wrong-pw-123",
      connectTimeoutMs: 5000,
      logger,
    });
    const error = await backend.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    // Not in the message, nor anywhere in the error and its cause (ioredis puts AUTH's arguments on its error).
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain("wrong-pw-123");
    expect(logged.length).toBeGreaterThan(0);
    expect(inspect(logged, { depth: 10, showHidden: true })).not.toContain("wrong-pw-123");
    await backend.close();
  });

  it("no credentials on a server that requires them: PermissionDeniedError (NOAUTH)", async () => {
    const backend = new RedisBackend({ url: server.url, connectTimeoutMs: 5000 });
    await expect(backend.open()).rejects.toBeInstanceOf(PermissionDeniedError);
    await backend.close();
  });

  it("a user whose ACL lacks a command the write script runs: PermissionDeniedError on write", async () => {
    const backend = new RedisBackend({
      url: server.url,
      prefix: uniquePrefix("acl"),
      username: "noscript",
      password: "pw3",
    });
    await backend.open();
    const write = backend.write({ key: "CLAIMS_M", value: new Uint8Array([123, 125]), origin: "h" });
    await expect(write).rejects.toBeInstanceOf(PermissionDeniedError);
    await backend.close();
  });

  it("a user without rights on this lattice's keys: PermissionDeniedError (NOPERM) at open", async () => {
    const backend = new RedisBackend({
      url: server.url,
      prefix: "mine",
      username: "elsewhere",
      password: "pw2",
    });
    await expect(backend.open()).rejects.toBeInstanceOf(PermissionDeniedError);
    await backend.close();
  });
});
