// The lattice's schema: created once however many hosts start at once, left alone when it exists, and a new
// history (rule 9: a new epoch, revisions from 1) when it is created again after being dropped.
// Rules cited here: docs/semantics.md#rule-9.
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
import { RawPostgresLattice } from "./raw-lattice.js";

const server: PostgresServerHandle = await startPostgresServer();

afterAll(() => disposeAll());

function backendOn(prefix: string): PostgresBackend {
  return new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
}

describe("the lattice's schema", () => {
  it("eight hosts opening a new lattice at once create it once: one epoch, every open succeeds", async () => {
    const prefix = uniquePrefix("race");
    const hosts = Array.from({ length: 8 }, () => backendOn(prefix));
    try {
      await Promise.all(hosts.map((host) => host.open()));
      const heads = await Promise.all(hosts.map((host) => host.head()));
      expect(new Set(heads.map((head) => head.epoch)).size).toBe(1);
      expect(heads[0]).toMatchObject({ revision: 0 });
      expect(heads[0]?.epoch).not.toBe("");
      const tables = await server.query(
        `SELECT count(*) FROM pg_tables WHERE schemaname = 'lattice_${prefix}'`,
      );
      expect(tables).toBe("3");
    } finally {
      await Promise.all(hosts.map((host) => host.close()));
    }
  });

  it("opening an existing lattice changes nothing: same epoch, same revision, same rows", async () => {
    const prefix = uniquePrefix("again");
    const first = backendOn(prefix);
    const second = backendOn(prefix);
    try {
      await first.write({ key: "LINKDEF_a", value: jsonBytes(1), origin: "h1" });
      const before = await first.head();
      await second.open();
      expect(await second.head()).toEqual(before);
      expect((await second.read("LINKDEF_a"))?.revision).toBe(1);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("rule 9: a schema dropped and created again is a new history — a new epoch, revisions from 1, and a feed of the old one gets a gap", async () => {
    const prefix = uniquePrefix("recreate");
    const backend = backendOn(prefix);
    const raw = new RawPostgresLattice(server.url, prefix);
    try {
      await backend.write({ key: "LINKDEF_a", value: jsonBytes(1), origin: "h1" });
      await backend.write({ key: "LINKDEF_b", value: jsonBytes(2), origin: "h1" });
      const old = await backend.head();
      const log = new FeedLog();
      const feed = backend.subscribe({ revision: 0 }, log);
      await eventually("the feed is synced", () => log.heads.length > 0);
      expect(log.heads).toEqual([old]);

      await raw.loseHistory();
      // head() reads and never creates: a missing lattice has no history yet.
      expect(await backend.head()).toEqual({ revision: 0, epoch: "" });
      // A write creates it again, as the first write of a new history.
      expect(await backend.write({ key: "LINKDEF_c", value: jsonBytes(3), origin: "h1" })).toEqual({
        revision: 1,
      });
      const recreated = await backend.head();
      expect(recreated.revision).toBe(1);
      expect(recreated.epoch).not.toBe(old.epoch);
      expect(await backend.read("LINKDEF_a")).toBeUndefined();

      await eventually("the feed of the old history reports a gap", () => log.gaps.length > 0);
      await feed.close();
      expect(log.gaps).toHaveLength(1);

      const resumed = new FeedLog();
      const stale = backend.subscribe(old, resumed);
      await eventually("the resumed feed answers", () => resumed.gaps.length + resumed.heads.length > 0);
      await stale.close();
      expect(resumed.heads).toEqual([]);
      expect(resumed.gaps[0]).toMatch(/epoch/);
    } finally {
      await backend.close();
      await raw.close();
    }
  });
});
