// TLS: a `rediss://` URL plus the `tls` option (here: a private CA) reaches a redis-server's tls-port.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LatticeCache } from "@lattice-cache/core";
import { ConfigurationError } from "@lattice-cache/core/backend";
import { disposeAll, freePort, startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import { claimsValue, uniquePrefix } from "./redis-test-support.test-helpers.js";

let dir: string;
let tlsUrl: string;
let ca: Buffer;

/** A throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI. */
function makeCertificates(where: string): void {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: where, stdio: "ignore" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=lattice-test-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  );
  execFileSync("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"], { cwd: where });
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "san.ext",
    "-out",
    "server.crt",
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lattice-redis-tls-"));
  makeCertificates(dir);
  ca = readFileSync(join(dir, "ca.crt"));
  const tlsPort = await freePort();
  await startRedisServer({
    extraConfig: [
      `tls-port ${tlsPort}`,
      `tls-cert-file ${join(dir, "server.crt")}`,
      `tls-key-file ${join(dir, "server.key")}`,
      `tls-ca-cert-file ${join(dir, "ca.crt")}`,
      "tls-auth-clients no",
    ].join("\n"),
  });
  tlsUrl = `rediss://127.0.0.1:${tlsPort}`;
});

afterAll(async () => {
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("TLS", () => {
  it("writes and syncs over rediss:// with a private CA", async () => {
    const cache = await LatticeCache.open({
      backend: new RedisBackend({ url: tlsUrl, prefix: uniquePrefix("tls"), redisOptions: { tls: { ca } } }),
    });
    try {
      await cache.ready(20_000);
      const { revision } = await cache.claims.put(claimsValue("MTLS"));
      expect(revision).toBe(1);
      expect(cache.claims.get("MTLS")?.sub).toBe("MTLS");
    } finally {
      await cache.close();
    }
  });

  it("an untrusted server certificate fails open() at once with ConfigurationError naming the cause", async () => {
    const backend = new RedisBackend({ url: tlsUrl, connectTimeoutMs: 15_000 });
    const started = Date.now();
    const error = await backend.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe("redis.tls");
    expect(String((error as Error).message)).toMatch(/certificate/i);
    expect(Date.now() - started).toBeLessThan(10_000);
    await backend.close();
  });
});
