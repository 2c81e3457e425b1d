// Rule 1 at the store: with many writers committing at once, revisions become visible strictly in order —
// a reader tailing the change log never finds revision N + 1 while N is missing (a sequence alone would
// let 5 commit before 4), and a feed delivers every revision once, contiguously, without a gap.
// Rules cited here: docs/semantics.md#rule-1.
import { disposeAll, type PostgresServerHandle, startPostgresServer } from "@lattice-cache/test-harness";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { readChangesAfter } from "./lattice-queries.js";
import { latticeSchema } from "./lattice-schema.js";
import { PostgresBackend } from "./postgres-backend.js";
import {
  eventually,
  FeedLog,
  jsonBytes,
  TEST_TUNING,
  uniquePrefix,
} from "./postgres-test-support.test-helpers.js";

const WRITERS = 16;
const WRITES_EACH = 40;
const TOTAL = WRITERS * WRITES_EACH;

const server: PostgresServerHandle = await startPostgresServer();

afterAll(() => disposeAll());

/** Each writer a host of its own (a pool of one), all writing at once to keys of their own and a shared one. */
async function writeConcurrently(prefix: string): Promise<void> {
  const hosts = Array.from(
    { length: WRITERS },
    () => new PostgresBackend({ url: server.url, prefix, poolSize: 1, ...TEST_TUNING }),
  );
  await Promise.all(hosts.map((host) => host.open()));
  try {
    await Promise.all(
      hosts.map(async (host, writer) => {
        for (let i = 0; i < WRITES_EACH; i++) {
          const key = i % 4 === 0 ? "LINKDEF_shared" : `LINKDEF_w${writer}_${i}`;
          await host.write({ key, value: jsonBytes({ writer, i }), origin: `host-${writer}` });
        }
      }),
    );
  } finally {
    await Promise.all(hosts.map((host) => host.close()));
  }
}

describe("rule 1: revisions become visible strictly in order", () => {
  it(`a reader tailing the change log under ${WRITERS} concurrent writers never sees revision N + 1 before N`, async () => {
    const prefix = uniquePrefix("order");
    const schema = latticeSchema(prefix);
    // The lattice exists before the race starts, so the reader can tail it from the first write.
    const first = new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
    await first.open();
    await first.close();
    const reader = new pg.Client({ connectionString: server.url });
    await reader.connect();
    const writing = writeConcurrently(prefix);
    let done = false;
    void writing.finally(() => {
      done = true;
    });
    const seen: number[] = [];
    let position = 0;
    let reads = 0;
    try {
      while (position < TOTAL) {
        const finished = done;
        const batch = await readChangesAfter(reader, schema, position, 1000);
        reads++;
        for (const change of batch) {
          // A hole below a visible revision is exactly what must never happen.
          expect(change.revision, `after revision ${position}`).toBe(position + 1);
          position = change.revision;
          seen.push(change.revision);
        }
        if (finished && batch.length === 0 && position < TOTAL) {
          throw new Error(`the writers finished but the log ends at ${position} of ${TOTAL}`);
        }
      }
      await writing;
    } finally {
      await reader.end();
    }
    expect(seen).toHaveLength(TOTAL);
    expect(reads).toBeGreaterThan(1);
  });

  it("a feed following concurrent writers delivers every revision once, in order, without a gap", async () => {
    const prefix = uniquePrefix("feed");
    const follower = new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
    await follower.open();
    const log = new FeedLog();
    const feed = follower.subscribe({ revision: 0 }, log);
    try {
      await writeConcurrently(prefix);
      await eventually(
        "the feed delivered every write",
        () => log.entries.length >= TOTAL || log.gaps.length > 0,
      );
      expect(log.gaps).toEqual([]);
      expect(log.entries.map((entry) => entry.revision)).toEqual(
        Array.from({ length: TOTAL }, (_, i) => i + 1),
      );
    } finally {
      await feed.close();
      await follower.close();
    }
  });
});
