// Rule 9 at the change log: it keeps about `changeLogLength` changes; a feed that resumes within them
// catches up without a snapshot, one that fell behind the trimmed point ends in a gap (and the replica
// resyncs from a snapshot).
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

const KEEP = 20;

const server: PostgresServerHandle = await startPostgresServer();

afterAll(() => disposeAll());

async function writeMany(backend: PostgresBackend, count: number): Promise<number> {
  let revision = 0;
  for (let i = 0; i < count; i++) {
    ({ revision } = await backend.write({
      key: `LINKDEF_k${i % 7}`,
      value: jsonBytes({ i }),
      origin: "writer",
    }));
  }
  return revision;
}

/** Waits until the feed reported `synced` or a gap. */
function settled(log: FeedLog): Promise<void> {
  return eventually("the feed reports synced or a gap", () => log.heads.length + log.gaps.length > 0);
}

describe("rule 9: the change log is trimmed, and a feed behind the trimmed point gets a gap", () => {
  it(`keeps about changeLogLength (${KEEP}) changes, trimming in steps`, async () => {
    const prefix = uniquePrefix("trim");
    const backend = new PostgresBackend({ url: server.url, prefix, changeLogLength: KEEP, ...TEST_TUNING });
    const raw = new RawPostgresLattice(server.url, prefix);
    try {
      const last = await writeMany(backend, 5 * KEEP + 3);
      const changes = await raw.changes();
      expect(changes.at(-1)?.revision).toBe(last);
      expect(changes.length).toBeGreaterThanOrEqual(KEEP);
      expect(changes.length).toBeLessThanOrEqual(KEEP + Math.ceil(KEEP / 10));
      expect((await raw.head()).oldest).toBe(changes[0]?.revision);
    } finally {
      await backend.close();
      await raw.close();
    }
  });

  it("a feed resuming within the kept changes gets exactly the later ones; one behind the trimmed point gets a gap", async () => {
    const prefix = uniquePrefix("trim");
    const backend = new PostgresBackend({ url: server.url, prefix, changeLogLength: KEEP, ...TEST_TUNING });
    try {
      const behind = await writeMany(backend, 3);
      const { epoch } = await backend.head();
      const within = await writeMany(backend, 3 * KEEP);
      const head = await writeMany(backend, KEEP / 2);

      const resumed = new FeedLog();
      const resuming = backend.subscribe({ revision: within, epoch }, resumed);
      await settled(resumed);
      await resuming.close();
      expect(resumed.gaps).toEqual([]);
      expect(resumed.entries.map((entry) => entry.revision)).toEqual(
        Array.from({ length: head - within }, (_, i) => within + i + 1),
      );

      const late = new FeedLog();
      const lagging = backend.subscribe({ revision: behind, epoch }, late);
      await settled(late);
      await lagging.close();
      expect(late.entries).toEqual([]);
      expect(late.heads).toEqual([]);
      expect(late.gaps).toHaveLength(1);
      expect(late.gaps[0]).toMatch(/trimmed/);
    } finally {
      await backend.close();
    }
  });
});
