// TLS: the backend's connections (its pool and its feeds) are encrypted with a trusted CA given in the options
// or in the URL (sslmode/sslrootcert); a certificate it cannot verify, or a server without TLS, is a
// ConfigurationError at once — retrying cannot fix either.
import { readFileSync } from "node:fs";
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

const server: PostgresServerHandle = await startPostgresServer({ tls: true });
const ca = readFileSync((server.tls as { caPath: string }).caPath, "utf8");

afterAll(() => disposeAll());

/** How many connections named `application` the server holds, and how many of them use TLS. */
async function connectionsOf(application: string): Promise<{ all: number; tls: number }> {
  const row = await server.query(
    "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) " +
      `WHERE a.application_name = '${application}'`,
  );
  const [all, tls] = row.split("|").map(Number);
  return { all: all ?? 0, tls: tls ?? 0 };
}

describe("TLS", () => {
  it("with the CA in the options, writes and the feed go over TLS", async () => {
    const applicationName = uniquePrefix("tls");
    const backend = new PostgresBackend({
      url: server.url,
      prefix: uniquePrefix(),
      ssl: { ca },
      applicationName,
      ...TEST_TUNING,
    });
    const log = new FeedLog();
    const feed = backend.subscribe({ revision: 0 }, log);
    try {
      await backend.write({ key: "LINKDEF_a", value: jsonBytes(1), origin: "h1" });
      await eventually("the feed delivered the write", () => log.entries.length > 0);
      expect(log.entries).toHaveLength(1);
      const connections = await connectionsOf(applicationName);
      expect(connections.all).toBeGreaterThanOrEqual(2); // the pool's and the feed's
      expect(connections.tls).toBe(connections.all);
    } finally {
      await feed.close();
      await backend.close();
    }
  });

  it("with sslmode=verify-full and sslrootcert in the URL, the connection is verified TLS", async () => {
    const url = new URL(server.url);
    url.searchParams.set("sslmode", "verify-full");
    url.searchParams.set("sslrootcert", (server.tls as { caPath: string }).caPath);
    const applicationName = uniquePrefix("tls-url");
    const backend = new PostgresBackend({ url: url.toString(), prefix: uniquePrefix(), applicationName });
    try {
      await backend.open();
      expect(await connectionsOf(applicationName)).toMatchObject({ tls: 1 });
    } finally {
      await backend.close();
    }
  });

  it("a server certificate it cannot verify is a ConfigurationError naming postgres.ssl, at once", async () => {
    const backend = new PostgresBackend({
      url: server.url,
      prefix: uniquePrefix(),
      ssl: true, // the system's CAs, which never signed the harness's certificate
      ...TEST_TUNING,
      connectTimeoutMs: 20_000,
    });
    const started = Date.now();
    const error = await backend.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    await backend.close();
    expect(LatticeCacheError.hasCode(error, "CONFIGURATION")).toBe(true);
    expect(error).toMatchObject({ field: "postgres.ssl" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
