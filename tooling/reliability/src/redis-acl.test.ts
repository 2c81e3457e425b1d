// Access control (issue 8.4) on Redis, end to end: a host under the least-privilege ACL user of the redis
// package README reads and writes; a wrong password fails at open() with PERMISSION_DENIED; the password
// never shows up in logs, errors, describe() or status(). (The redis package tests ACLs in depth.)
import { randomBytes } from "node:crypto";
import { LatticeCache, LatticeCacheError } from "@lattice-cache/core";
import { RedisBackend } from "@lattice-cache/redis";
import { disposeAll, startRedisServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { type ChaosHost, closeHosts, openHost } from "./chaos-host.test-helpers.js";
import { RecordingLogger } from "./recording-logger.test-helpers.js";
import { ExposedText } from "./secret-scan.test-helpers.js";

/** The least-privilege rules of packages/redis/README.md ("ACL"), pinned to the lattices `{lattice:*}`. */
const HOST_ACL =
  "resetkeys ~{lattice:*}:* resetchannels -@all +@connection +info +eval +evalsha +get +set +hget +hset +hlen " +
  "+hgetall +hvals +hscan +xadd +xrange +xrevrange +xread";

const hosts: ChaosHost[] = [];

afterAll(async () => {
  await closeHosts(hosts);
  await disposeAll();
});

describe("Redis ACL user with the least-privilege rules", () => {
  it("the right password reads and writes; a wrong one is refused at open() with PERMISSION_DENIED; no password leaks", async () => {
    const password = `redispw-${randomBytes(12).toString("hex")}`;
    const wrong = `badpw-${randomBytes(12).toString("hex")}`;
    const server = await startRedisServer({ aclUsers: [{ name: "lattice", password, rules: HOST_ACL }] });
    const prefix = `acl-${randomBytes(4).toString("hex")}`;
    const exposed = new ExposedText();
    for (const name of ["writer", "reader"]) {
      const host = await openHost(
        name,
        (logger) => new RedisBackend({ url: server.url, prefix, username: "lattice", password, logger }),
      );
      hosts.push(host);
      exposed.watchLogger(host.logger);
    }
    const [writer, reader] = hosts as [ChaosHost, ChaosHost];
    await writer.cache.refmaps.put({ oci_url: "registry.local/acl:v1", public_key: "MACL" });
    await waitFor(() => reader.cache.refmaps.get("registry.local/acl:v1")?.public_key === "MACL", {
      what: "the write on the other host",
    });
    for (const host of hosts) exposed.addReports(host.backend, host.cache);

    const logger = new RecordingLogger("refused");
    exposed.watchLogger(logger);
    const backend = new RedisBackend({
      url: server.url,
      prefix,
      username: "lattice",
      password: wrong,
      logger,
    });
    const error = await LatticeCache.open({ backend, logger }).then(
      async (cache) => {
        await cache.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    exposed.addError(error);
    exposed.addReports(backend);
    await backend.close();
    expect(LatticeCacheError.hasCode(error, "PERMISSION_DENIED"), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/WRONGPASS|password|auth/i);
    exposed.expectNoSecrets({ password, wrongPassword: wrong });
  });
});
