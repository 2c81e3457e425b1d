// Tombstone compaction on a real redis-server: due tombstone records leave the entries hash and the change
// log, only while they are still tombstones; tombstones from before records carried a time are stamped
// first; a feed resuming across a removed change ends in a gap; hosts without HDEL/XDEL are refused.
// Rules cited here: docs/semantics.md#rule-6, #rule-9.
import { LatticeCache } from "@lattice-cache/core";
import { disposeAll, type RedisServerHandle, startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeEntryRecord } from "./entry-record.js";
import { RedisBackend } from "./redis-backend.js";
import {
  claimsValue,
  FeedLog,
  jsonBytes,
  RawLattice,
  uniquePrefix,
  until,
} from "./redis-test-support.test-helpers.js";
import { actOnTombstones } from "./tombstone-compaction.js";

/** The README's least-privilege rules: no HDEL or XDEL. */
const HOST_RULES =
  "resetkeys ~{lattice:*}:* resetchannels -@all +@connection +info +eval +evalsha " +
  "+get +set +hget +hset +hlen +hgetall +hvals +hscan +xadd +xrange +xrevrange +xread";

let server: RedisServerHandle;
let aclServer: RedisServerHandle;
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  server = await startRedisServer();
  aclServer = await startRedisServer({
    aclUsers: [
      { name: "host", password: "host-pw", rules: HOST_RULES },
      { name: "compactor", password: "compactor-pw", rules: `${HOST_RULES} +hdel +xdel` },
    ],
  });
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await disposeAll();
});

async function open(prefix: string) {
  const backend = new RedisBackend({ url: server.url, prefix });
  closers.push(() => backend.close());
  await backend.open();
  const raw = RawLattice.connect({ url: server.url }, prefix);
  closers.push(() => raw.close());
  return { backend, raw };
}

const value = (sub: string) => jsonBytes(claimsValue(sub));

/** Waits until the clock has moved `ms` past `since`. */
async function passed(since: number, ms: number): Promise<void> {
  while (Date.now() < since + ms) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function logged(raw: RawLattice, revision: number): Promise<boolean> {
  const items = await raw.admin.xrange(raw.keys.changes, `${revision}-0`, `${revision}-0`);
  return items.length > 0;
}

describe("RedisBackend.compactTombstones", () => {
  it("rule 6: removes only tombstones older than the cutoff — hash record and change-log entry — never a live key, a young tombstone or a key written again; a dry run reports the same", async () => {
    const { backend, raw } = await open(uniquePrefix("cmp"));
    const write = (key: string, deleted = false) =>
      backend.write({ key, value: deleted ? null : value(key.slice(7)), origin: "h1" });
    await write("CLAIMS_MOLD");
    const oldDelete = await write("CLAIMS_MOLD", true);
    await write("CLAIMS_MAGAIN");
    await write("CLAIMS_MAGAIN", true);
    await write("CLAIMS_MAGAIN");
    await write("CLAIMS_MLIVE");
    const boundary = Date.now();
    await passed(boundary, 100);
    await write("CLAIMS_MYOUNG");
    await write("CLAIMS_MYOUNG", true);
    const cutoff = boundary + 50;

    const dry = await backend.compactTombstones({ olderThanMs: Date.now() - cutoff, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, scanned: 4 });
    expect(dry.removed.map((r) => [r.key, r.revision])).toEqual([["CLAIMS_MOLD", oldDelete.revision]]);
    expect(await raw.readRaw("CLAIMS_MOLD")).toBeDefined();

    const report = await backend.compactTombstones({ olderThanMs: Date.now() - cutoff, dryRun: false });
    expect(report.removed).toEqual(dry.removed);
    expect(Date.parse(report.removed[0]?.deletedAt ?? "")).toBeLessThan(cutoff);
    expect(await raw.readRaw("CLAIMS_MOLD")).toBeUndefined();
    expect(await logged(raw, oldDelete.revision)).toBe(false);
    expect(await logged(raw, oldDelete.revision - 1)).toBe(true);
    for (const kept of ["CLAIMS_MAGAIN", "CLAIMS_MLIVE", "CLAIMS_MYOUNG"]) {
      expect(await raw.readRaw(kept), kept).toBeDefined();
    }
  });

  it("the race: a tombstone written over again before its removal is left alone", async () => {
    const { backend, raw } = await open(uniquePrefix("race"));
    await backend.write({ key: "CLAIMS_MR", value: value("MR"), origin: "h1" });
    const del = await backend.write({ key: "CLAIMS_MR", value: null, origin: "h1" });
    const found = [{ key: "CLAIMS_MR", revision: del.revision, deletedAt: 0 }];
    const again = await backend.write({ key: "CLAIMS_MR", value: value("MR"), origin: "h2" });
    expect(await actOnTombstones(raw.admin, raw.keys, "remove", found)).toEqual([]);
    expect((await raw.readRaw("CLAIMS_MR"))?.revision).toBe(again.revision);
    expect(await logged(raw, del.revision)).toBe(true);
  });

  it("tombstones from before records carried a time are stamped at the first compaction, and removed a retention later", async () => {
    const { backend, raw } = await open(uniquePrefix("stamp"));
    await backend.write({ key: "CLAIMS_MLEGACY", value: value("MLEGACY"), origin: "h1" });
    const del = await backend.write({ key: "CLAIMS_MLEGACY", value: null, origin: "h1" });
    // As an older release wrote it: no time after the origin.
    await raw.admin.hset(
      raw.keys.entries,
      "CLAIMS_MLEGACY",
      encodeEntryRecord({ revision: del.revision, value: null, origin: "h1" }),
    );
    expect((await raw.readRaw("CLAIMS_MLEGACY")) as { deletedAt?: number }).not.toHaveProperty("deletedAt");

    await backend.compactTombstones({ olderThanMs: 1, dryRun: true });
    expect((await raw.readRaw("CLAIMS_MLEGACY")) as { deletedAt?: number }).not.toHaveProperty("deletedAt");
    const before = Date.now();
    const first = await backend.compactTombstones({ olderThanMs: 1, dryRun: false });
    expect(first.removed).toEqual([]);
    const stamped = (await raw.readRaw("CLAIMS_MLEGACY")) as { deletedAt?: number; revision: number };
    expect(stamped.revision).toBe(del.revision);
    expect(stamped.deletedAt).toBeGreaterThanOrEqual(before);
    await passed(stamped.deletedAt ?? 0, 10);
    const second = await backend.compactTombstones({ olderThanMs: 5, dryRun: false });
    expect(second.removed.map((r) => r.key)).toEqual(["CLAIMS_MLEGACY"]);
  });

  it("rule 9: a feed resuming across a removed change ends in a gap; a live replica goes on; a fresh one never sees the key", async () => {
    const prefix = uniquePrefix("feed");
    const { backend } = await open(prefix);
    const live = await LatticeCache.open({ backend: new RedisBackend({ url: server.url, prefix }) });
    closers.push(() => live.close());
    await live.ready(20_000);
    const first = await backend.write({ key: "CLAIMS_MGONE", value: value("MGONE"), origin: "h1" });
    await backend.write({ key: "CLAIMS_MGONE", value: null, origin: "h1" });
    await backend.write({ key: "CLAIMS_MKEPT", value: value("MKEPT"), origin: "h1" });
    const head = await backend.head();
    expect(await live.waitForRevision(head.revision, 20_000)).toBe(true);
    await passed(Date.now(), 10);
    expect((await backend.compactTombstones({ olderThanMs: 5, dryRun: false })).removed).toHaveLength(1);

    const resumed = new FeedLog();
    const feed = backend.subscribe({ revision: first.revision, epoch: head.epoch }, resumed);
    closers.push(() => feed.close());
    await until("the resumed feed ends in a gap", () => resumed.gaps.length > 0);
    expect(resumed.gaps[0]).toMatch(/jumps from revision \d+ to \d+/);

    const after = await live.claims.put(claimsValue("MAFTER"));
    expect(await live.waitForRevision(after.revision, 20_000)).toBe(true);
    expect(live.status().counters.resyncs).toBe(0);
    const fresh = await LatticeCache.open({ backend: new RedisBackend({ url: server.url, prefix }) });
    closers.push(() => fresh.close());
    await fresh.ready(20_000);
    expect(fresh.claims.get("MGONE")).toBeUndefined();
    expect(fresh.status().digest).toBe(live.status().digest);
  });

  it("a host without HDEL/XDEL (the least-privilege ACL) is refused with PERMISSION_DENIED; one with them compacts", async () => {
    const prefix = uniquePrefix("acl");
    const as = async (username: string, password: string) => {
      const backend = new RedisBackend({ url: aclServer.url, prefix, username, password });
      closers.push(() => backend.close());
      await backend.open();
      return backend;
    };
    const backend = await as("compactor", "compactor-pw");
    await backend.write({ key: "CLAIMS_MACL", value: value("MACL"), origin: "h1" });
    await backend.write({ key: "CLAIMS_MACL", value: null, origin: "h1" });
    await passed(Date.now(), 10);
    const host = await as("host", "host-pw");
    expect((await host.compactTombstones({ olderThanMs: 5, dryRun: true })).removed).toHaveLength(1);
    await expect(host.compactTombstones({ olderThanMs: 5, dryRun: false })).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
    });
    expect((await backend.compactTombstones({ olderThanMs: 5, dryRun: false })).removed).toHaveLength(1);
  });
});

describe("RedisBackend.read", () => {
  it("returns a key's stored change: a value with its origin, a tombstone with its delete time, nothing for a missing key", async () => {
    const { backend } = await open(uniquePrefix("read"));
    const put = await backend.write({ key: "CLAIMS_MREAD", value: value("MREAD"), origin: "h1" });
    expect(await backend.read("CLAIMS_MREAD")).toMatchObject({ revision: put.revision, origin: "h1" });
    const before = Date.now();
    const del = await backend.write({ key: "CLAIMS_MREAD", value: null, origin: "h1" });
    const entry = await backend.read("CLAIMS_MREAD");
    expect(entry).toMatchObject({ key: "CLAIMS_MREAD", value: null, revision: del.revision });
    expect(entry?.writtenAt).toBeGreaterThanOrEqual(before);
    expect(await backend.read("CLAIMS_MNONE")).toBeUndefined();
  });
});
