// Rule 10 on one host's connections (a fault proxy between it and the server): a silent connection is
// noticed by the client's own deadlines — a write fails with BACKEND_UNAVAILABLE saying its outcome is
// unknown, the feed reports its connection down — and the feed comes back by itself on a new connection
// (a timed-out query still occupies the old one), resuming where it was without a gap.
// Rules cited here: docs/semantics.md#rule-10.
import { LatticeCacheError, withTimeout } from "@lattice-cache/core/backend";
import {
  disposeAll,
  type FaultProxyHandle,
  type PostgresServerHandle,
  startFaultProxy,
  startPostgresServer,
} from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresBackend } from "./postgres-backend.js";
import {
  eventually,
  FeedLog,
  jsonBytes,
  TEST_TUNING,
  uniquePrefix,
  urlThrough,
} from "./postgres-test-support.test-helpers.js";

const server: PostgresServerHandle = await startPostgresServer();
const proxy: FaultProxyHandle = await startFaultProxy({ target: { port: server.port } });

afterAll(() => disposeAll());

describe("rule 10: a silent connection", () => {
  it("a write fails fast with BACKEND_UNAVAILABLE and says its outcome is unknown", async () => {
    proxy.setMode("pass");
    const backend = new PostgresBackend({
      url: urlThrough(server.url, proxy),
      prefix: uniquePrefix(),
      ...TEST_TUNING,
    });
    try {
      await backend.open();
      proxy.setMode("blackhole");
      const started = Date.now();
      const error = await backend.write({ key: "LINKDEF_a", value: jsonBytes(1), origin: "h1" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(LatticeCacheError.hasCode(error, "BACKEND_UNAVAILABLE")).toBe(true);
      expect((error as Error).message).toMatch(
        /no answer from the server within 2000 ms; the outcome is unknown/,
      );
      expect(Date.now() - started).toBeLessThan(TEST_TUNING.queryTimeoutMs + 1_500);
    } finally {
      proxy.setMode("drop");
      await backend.close();
    }
  });

  it("the feed reports it down, then reconnects by itself on a new connection and resumes without a gap", async () => {
    proxy.setMode("pass");
    const prefix = uniquePrefix();
    const follower = new PostgresBackend({ url: urlThrough(server.url, proxy), prefix, ...TEST_TUNING });
    const writer = new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
    const log = new FeedLog();
    const feed = follower.subscribe({ revision: 0 }, log);
    try {
      await writer.write({ key: "LINKDEF_a", value: jsonBytes(1), origin: "writer" });
      await eventually("the feed delivered the first write", () => log.entries.length === 1);

      proxy.setMode("blackhole");
      await writer.write({ key: "LINKDEF_b", value: jsonBytes(2), origin: "writer" });
      await eventually("the feed reported its connection down", () =>
        log.connections.some((c) => !c.connected),
      );
      // Straight back to pass: the blackholed connection is still open and out of step (its bytes were
      // swallowed); only a new connection can serve the feed.
      proxy.setMode("pass");
      await eventually("the feed delivered the write made while it was cut off", () =>
        log.entries.some((e) => e.key === "LINKDEF_b"),
      );
      await writer.write({ key: "LINKDEF_c", value: jsonBytes(3), origin: "writer" });
      await eventually("the feed delivers live again", () => log.entries.some((e) => e.key === "LINKDEF_c"));
      expect(log.gaps).toEqual([]);
      expect(log.entries.map((e) => e.revision)).toEqual([1, 2, 3]);
      expect(log.connections.at(-1)?.connected).toBe(true);
    } finally {
      await feed.close();
      await follower.close();
      await writer.close();
    }
  });
});

describe("close() is bounded whatever the feed is doing (issue 22 item 7)", () => {
  // node-postgres never settles the connect() of a client ended while it connects: a feed reconnecting
  // when the backend closed (after a gap, a cut, a restart) held close() forever.
  it("closing while the feed's connection is still being made settles, and the feed stops", async () => {
    proxy.setMode("blackhole");
    const backend = new PostgresBackend({
      url: urlThrough(server.url, proxy),
      prefix: uniquePrefix(),
      ...TEST_TUNING,
    });
    const log = new FeedLog();
    const before = proxy.connections();
    backend.subscribe({ revision: 0 }, log);
    try {
      await eventually("the feed is connecting through the silent proxy", () => proxy.connections() > before);
      await withTimeout(
        backend.close(),
        10_000,
        () => new Error("closing the backend did not settle within 10000 ms"),
      );
      expect(backend.describe().feeds).toBe(0);
    } finally {
      proxy.setMode("drop");
      await backend.close();
    }
  });
});
