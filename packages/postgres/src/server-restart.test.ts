// Rule 10 across a crash of the server (kill -9, then a restart with crash recovery): writes fail fast while
// it is down, the feed says its connection is down and resumes by itself afterwards in the same history,
// without a gap, and every acknowledged write is still there (the durable capability).
// Rules cited here: docs/semantics.md#rule-10.
import { LatticeCacheError } from "@lattice-cache/core/backend";
import { disposeAll, type PostgresServerHandle, startPostgresServer } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresBackend } from "./postgres-backend.js";
import {
  FeedLog,
  jsonBytes,
  TEST_TUNING,
  uniquePrefix,
  eventually as until,
} from "./postgres-test-support.test-helpers.js";
import { RawPostgresLattice } from "./raw-lattice.js";

const server: PostgresServerHandle = await startPostgresServer();

afterAll(() => disposeAll());

describe("rule 10: a server killed and restarted", () => {
  it("writes fail fast while it is down; the feed reconnects by itself, in the same history, without a gap; acknowledged writes survive", async () => {
    const prefix = uniquePrefix("restart");
    const backend = new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
    const log = new FeedLog();
    const feed = backend.subscribe({ revision: 0 }, log);
    try {
      const acknowledged = await backend.write({ key: "LINKDEF_a", value: jsonBytes(1), origin: "h1" });
      const before = await backend.head();
      await until("the feed delivered the write", () => log.entries.length === 1);

      await server.kill("SIGKILL");
      const started = Date.now();
      const refused = await backend.write({ key: "LINKDEF_b", value: jsonBytes(2), origin: "h1" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(LatticeCacheError.hasCode(refused, "BACKEND_UNAVAILABLE")).toBe(true);
      expect(Date.now() - started).toBeLessThan(TEST_TUNING.queryTimeoutMs + 2_000);
      await until("the feed reported its connection down", () => log.connections.some((c) => !c.connected));

      await server.restart();
      await until("a write succeeds again", async () =>
        backend.write({ key: "LINKDEF_c", value: jsonBytes(3), origin: "h1" }).then(
          () => true,
          () => false,
        ),
      );
      await until("the feed delivered the write after the restart", () =>
        log.entries.some((entry) => entry.key === "LINKDEF_c"),
      );
      expect(log.gaps).toEqual([]);
      expect(log.connections.at(-1)?.connected).toBe(true);
      expect((await backend.head()).epoch).toBe(before.epoch);
      const raw = new RawPostgresLattice(server.url, prefix);
      expect((await raw.readRaw("LINKDEF_a"))?.revision).toBe(acknowledged.revision);
      expect(await raw.readRaw("LINKDEF_b")).toBeUndefined();
      await raw.close();
    } finally {
      await feed.close();
      await backend.close();
    }
  });
});
