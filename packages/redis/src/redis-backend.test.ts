// The backend seam of RedisBackend against a real redis-server: layout, conditional writes, the feed, gaps.
// Rules cited here: docs/semantics.md#rule-1, #rule-4, #rule-6, #rule-8, #rule-9.
import {
  type BackendHead,
  ConfigurationError,
  ConflictError,
  type LatticeBackend,
  LatticeCacheError,
} from "@lattice-cache/core/backend";
import { disposeAll, type RedisServerHandle, startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import type { RedisBackendOptions } from "./redis-backend-options.js";
import { FeedLog, jsonBytes, RawLattice, uniquePrefix, until } from "./redis-test-support.test-helpers.js";

let server: RedisServerHandle;
const opened: LatticeBackend[] = [];
const admins: RawLattice[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  for (const a of admins.splice(0)) a.close();
});

afterAll(async () => {
  await disposeAll();
});

/** `new RedisBackend(options)` throws a ConfigurationError that has `problem`'s members. */
function expectRefused(options: unknown, problem: Partial<ConfigurationError>): void {
  const construct = () => new RedisBackend(options as RedisBackendOptions);
  expect(construct).toThrow(ConfigurationError);
  expect(construct).toThrow(expect.objectContaining(problem));
}

async function lattice(
  options: RedisBackendOptions = {},
): Promise<{ backend: RedisBackend; raw: RawLattice; prefix: string }> {
  const prefix = options.prefix ?? uniquePrefix();
  const backend = new RedisBackend({ url: server.url, prefix, ...options });
  opened.push(backend);
  await backend.open();
  const raw = RawLattice.connect({ url: server.url }, prefix);
  admins.push(raw);
  return { backend, raw, prefix };
}

function put(backend: LatticeBackend, key: string, value: unknown, expectedRevision?: number) {
  return backend.write({ key, value: jsonBytes(value), origin: "host-a", expectedRevision });
}

function del(backend: LatticeBackend, key: string, expectedRevision?: number) {
  return backend.write({ key, value: null, origin: "host-a", expectedRevision });
}

async function conflictOf(promise: Promise<unknown>): Promise<ConflictError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConflictError);
  return error as ConflictError;
}

describe("layout: one hash tag per lattice", () => {
  it("stores the value bytes unchanged with revision and origin in the entries hash", async () => {
    const { backend, raw, prefix } = await lattice();
    const { revision } = await put(backend, "CLAIMS_MA", { sub: "MA", name: "échø" });
    const stored = await raw.readRaw("CLAIMS_MA");
    expect(stored?.revision).toBe(revision);
    expect(stored?.origin).toBe("host-a");
    expect(new TextDecoder().decode(stored?.value ?? undefined)).toBe(
      JSON.stringify({ sub: "MA", name: "échø" }),
    );
    const keys = (await raw.admin.keys(`{lattice:${prefix}}*`)).sort();
    expect(keys).toEqual([
      `{lattice:${prefix}}:changes`,
      `{lattice:${prefix}}:entries`,
      `{lattice:${prefix}}:epoch`,
      `{lattice:${prefix}}:revision`,
    ]);
    expect(await raw.admin.xlen(backend.keys.changes)).toBe(1);
  });

  it("keeps binary values byte for byte", async () => {
    const { backend, raw } = await lattice();
    const bytes = new Uint8Array([0, 255, 58, 10, 13, 0x80, 0x3a]);
    await backend.write({ key: "REFMAP_x", value: bytes, origin: "host-☃" });
    const stored = await raw.readRaw("REFMAP_x");
    expect(stored?.value).toEqual(bytes);
    expect(stored?.origin).toBe("host-☃");
  });

  it("refuses a prefix that would break the hash tag, and bad numbers, with ConfigurationError", () => {
    expect(() => new RedisBackend({ prefix: "a}b" })).toThrow(ConfigurationError);
    expect(() => new RedisBackend({ prefix: "" })).toThrow(ConfigurationError);
    expect(() => new RedisBackend({ url: "http://x" })).toThrow(ConfigurationError);
    expect(() => new RedisBackend({ changeLogLength: 0 })).toThrow(ConfigurationError);
    expect(() => new RedisBackend({ feedBlockMs: 1.5 })).toThrow(ConfigurationError);
  });

  it("describe() reports where it connects without the password", async () => {
    const url = server.url.replace("redis://", "redis://user:hunter2@");
    const backend = new RedisBackend({ url, prefix: "p", password: "also-secret" });
    const text = JSON.stringify(backend.describe());
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("also-secret");
    expect(backend.describe()).toMatchObject({ mode: "standalone", prefix: "p", keyTag: "{lattice:p}" });
    await backend.close();
  });
});

describe("cluster and sentinel settings: host:port lists, as the host's redis.cluster and redis.sentinel", () => {
  it("describe() names the mode and nodes, never a password", async () => {
    const cluster = new RedisBackend({
      cluster: ["redis://127.0.0.1:7000", "127.0.0.1:7001", "[::1]:7002"],
      password: "cluster-secret",
    });
    expect(cluster.describe()).toMatchObject({
      mode: "cluster",
      nodes: ["redis://127.0.0.1:7000", "127.0.0.1:7001", "[::1]:7002"],
    });
    const sentinel = new RedisBackend({
      sentinel: { sentinels: ["127.0.0.1:26379"], name: "mymaster" },
      redisOptions: { sentinelPassword: "sentinel-secret" },
    });
    expect(sentinel.describe()).toMatchObject({
      mode: "sentinel",
      master: "mymaster",
      sentinels: ["127.0.0.1:26379"],
    });
    const text = JSON.stringify([cluster.describe(), sentinel.describe()]);
    for (const secret of ["cluster-secret", "sentinel-secret"]) expect(text).not.toContain(secret);
    await cluster.close();
    await sentinel.close();
  });

  it("takes a comma-separated list as the environment gives one", () => {
    const backend = new RedisBackend({ cluster: "127.0.0.1:7000, 127.0.0.1:7001" as unknown as string[] });
    expect(backend.describe()).toMatchObject({ nodes: ["127.0.0.1:7000", "127.0.0.1:7001"] });
  });

  it("refuses cluster and sentinel together, empty lists, and entries that are no host:port", () => {
    const sentinel = { sentinels: ["127.0.0.1:26379"], name: "m" };
    expect(() => new RedisBackend({ cluster: ["127.0.0.1:7000"], sentinel })).toThrow(
      "redis.cluster and redis.sentinel exclude each other: choose one",
    );
    expect(() => new RedisBackend({ cluster: [] })).toThrow("redis.cluster must not be empty");
    expect(() => new RedisBackend({ sentinel: { sentinels: [], name: "m" } })).toThrow(
      "redis.sentinel.sentinels must not be empty",
    );
    expect(() => new RedisBackend({ sentinel: { sentinels: ["h:1"] } as never })).toThrow(
      "redis.sentinel.name is required when redis.sentinel is set",
    );
    expect(() => new RedisBackend({ cluster: ["127.0.0.1"] })).toThrow(
      'redis.cluster entries must be host:port (got "127.0.0.1")',
    );
  });

  it("refuses credentials in an entry without echoing them (they have settings of their own)", () => {
    for (const entry of ["redis://:pw-in-node@127.0.0.1:7000", "user:pw-in-node@127.0.0.1:7000"]) {
      expectRefused(
        { cluster: [entry] },
        {
          message:
            "redis.cluster entries must be host:port, without credentials (they have settings of their own)",
          field: "redis.cluster",
        },
      );
    }
  });
});

describe("options are one schema: defaults, and every problem named as lattice names the setting", () => {
  it("applies the defaults", () => {
    expect(new RedisBackend().describe()).toMatchObject({
      mode: "standalone",
      url: "redis://127.0.0.1:6379",
      prefix: "default",
      changeLogLength: 100_000,
      durable: false,
    });
  });

  it("lists every problem, one line each, and refuses options it does not know", () => {
    expectRefused(
      { url: "http://x", feedBlockMs: 0, nodes: ["h:1"] },
      {
        message: [
          'redis.url URL "http://x" has scheme http; allowed values: redis://, rediss://',
          "redis.feedBlockMs must be an integer from 1 to 2147483647 (got 0)",
          "redis.nodes is not a known option",
        ].join("\n"),
        field: "redis.url",
        allowed: ["redis://", "rediss://"],
      },
    );
  });

  it("takes a scheme-less address as a redis:// URL", () => {
    expect(new RedisBackend({ url: "127.0.0.1:6390" }).describe()).toMatchObject({
      url: "redis://127.0.0.1:6390",
    });
  });
});

describe("rule 1: revisions are strictly increasing across the lattice", () => {
  it("assigns 1, 2, 3 … across keys and reports them in head()", async () => {
    const { backend } = await lattice();
    const revisions = [];
    for (const key of ["CLAIMS_A", "CLAIMS_B", "CLAIMS_A", "REFMAP_C"])
      revisions.push((await put(backend, key, { key })).revision);
    expect(revisions).toEqual([1, 2, 3, 4]);
    expect((await backend.head()).revision).toBe(4);
  });

  it("gives 200 concurrent writes from two connections 200 distinct consecutive revisions", async () => {
    const { backend, prefix } = await lattice();
    const other = new RedisBackend({ url: server.url, prefix });
    opened.push(other);
    await other.open();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => put(i % 2 ? backend : other, `CLAIMS_K${i % 7}`, { i })),
    );
    const revisions = results.map((r) => r.revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });
});

describe("rule 4: conditional writes", () => {
  it("expectedRevision 0 creates, and conflicts once the key exists, carrying the current revision", async () => {
    const { backend, raw } = await lattice();
    const first = await put(backend, "CLAIMS_A", { v: 1 }, 0);
    const conflict = await conflictOf(put(backend, "CLAIMS_A", { v: 2 }, 0));
    expect(conflict.currentRevision).toBe(first.revision);
    expect(conflict.expectedRevision).toBe(0);
    expect(LatticeCacheError.hasCode(conflict, "CONFLICT")).toBe(true);
    expect((await raw.readRaw("CLAIMS_A"))?.revision).toBe(first.revision);
  });

  it("writes only when the expected revision matches; a mismatch writes nothing (no revision consumed)", async () => {
    const { backend, raw } = await lattice();
    const a = await put(backend, "CLAIMS_A", { v: 1 });
    await put(backend, "CLAIMS_B", { v: 1 });
    const conflict = await conflictOf(put(backend, "CLAIMS_A", { v: 2 }, a.revision + 1));
    expect(conflict.currentRevision).toBe(a.revision);
    expect(await raw.revision()).toBe(2);
    expect(await raw.admin.xlen(backend.keys.changes)).toBe(2);
    const ok = await put(backend, "CLAIMS_A", { v: 3 }, a.revision);
    expect(ok.revision).toBe(3);
  });

  it("a missing key has revision 0: expecting anything else conflicts with currentRevision 0", async () => {
    const { backend } = await lattice();
    const conflict = await conflictOf(put(backend, "CLAIMS_NEW", { v: 1 }, 5));
    expect(conflict.currentRevision).toBe(0);
  });
});

describe("rule 6: deletes are tombstones", () => {
  it("a delete gets its own revision and stays in the hash as a tombstone", async () => {
    const { backend, raw } = await lattice();
    await put(backend, "LINKDEF_X", { a: 1 });
    const d = await del(backend, "LINKDEF_X");
    expect(d.revision).toBe(2);
    expect(await raw.readRaw("LINKDEF_X")).toMatchObject({ value: null, revision: 2 });
  });

  it("a deleted key counts as missing for expectedRevision 0, and its tombstone revision is accepted too", async () => {
    const { backend } = await lattice();
    await put(backend, "LINKDEF_X", { a: 1 });
    const d = await del(backend, "LINKDEF_X");
    const conflict = await conflictOf(put(backend, "LINKDEF_X", { a: 2 }, 1));
    expect(conflict.currentRevision).toBe(0);
    const recreated = await put(backend, "LINKDEF_X", { a: 2 }, 0);
    expect(recreated.revision).toBeGreaterThan(d.revision);
    const d2 = await del(backend, "LINKDEF_X", recreated.revision);
    const viaTombstone = await put(backend, "LINKDEF_X", { a: 3 }, d2.revision);
    expect(viaTombstone.revision).toBe(d2.revision + 1);
  });
});

describe("the feed: snapshot, then synced, then live (rule 8)", () => {
  it("an empty lattice syncs at revision 0 and then delivers live writes", async () => {
    const { backend } = await lattice();
    const log = new FeedLog();
    const sub = backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    expect(log.heads[0]?.revision).toBe(0);
    expect(log.entries).toEqual([]);
    await put(backend, "CLAIMS_A", { v: 1 });
    await until("live entry", () => log.entries.length === 1);
    expect(log.entries[0]).toMatchObject({ key: "CLAIMS_A", revision: 1, origin: "host-a" });
    expect(log.heads[0]?.epoch).toBe((await backend.head()).epoch);
    await sub.close();
  });

  it("the snapshot holds every current entry, tombstones included, then synced at the head", async () => {
    const { backend } = await lattice();
    await put(backend, "CLAIMS_A", { v: 1 });
    await put(backend, "CLAIMS_B", { v: 1 });
    await put(backend, "CLAIMS_A", { v: 2 });
    await del(backend, "CLAIMS_B");
    const log = new FeedLog();
    const sub = backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    expect(log.heads[0]?.revision).toBe(4);
    const snap = log.materialize();
    expect(snap.get("CLAIMS_A")?.revision).toBe(3);
    expect(snap.get("CLAIMS_B")).toMatchObject({ value: null, revision: 4 });
    expect(log.entriesBeforeSync).toBe(2);
    await put(backend, "CLAIMS_C", { v: 1 });
    await until("live entry", () => log.entries.length === 3);
    expect(log.entries[2]?.revision).toBe(5);
    await sub.close();
  });

  it("rule 6: a snapshot's tombstone carries its delete time, so replicas prune it by when it was deleted", async () => {
    const { backend } = await lattice();
    await put(backend, "CLAIMS_T", { v: 1 });
    const before = Date.now();
    await del(backend, "CLAIMS_T");
    const log = new FeedLog();
    const sub = backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    const tombstone = log.entries.find((e) => e.key === "CLAIMS_T");
    expect(tombstone?.value).toBeNull();
    expect(tombstone?.writtenAt).toBeGreaterThanOrEqual(before);
    expect(tombstone?.writtenAt).toBeLessThanOrEqual(Date.now());
    await sub.close();
  });

  it("misses nothing and doubles nothing between snapshot and live under concurrent writes", async () => {
    const { backend, raw } = await lattice();
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) await put(backend, `CLAIMS_K${n++ % 13}`, { n });
    })();
    await until("some writes", () => n > 30);
    const log = new FeedLog();
    const sub = backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    await until("more writes", () => n > 80);
    writing = false;
    await writer;
    const head = await backend.head();
    await until("feed caught up", () => log.maxRevision === head.revision);
    const live = log.entries.slice(log.entriesBeforeSync);
    const syncedAt = log.heads[0]?.revision ?? 0;
    expect(live.map((e) => e.revision)).toEqual(live.map((_, i) => syncedAt + i + 1));
    const stored = await raw.readAll();
    const seen = log.materialize();
    for (const [key, rec] of stored) expect(seen.get(key)?.revision).toBe(rec.revision);
    await sub.close();
  });

  it("a lattice larger than the inline limit is snapshotted in HSCAN chunks, consistently", async () => {
    const { backend, raw } = await lattice({ snapshotInlineLimit: 10 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => put(backend, `CLAIMS_K${i}`, { i })));
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) await put(backend, `CLAIMS_K${(n++ * 7) % 300}`, { n });
    })();
    const log = new FeedLog();
    const sub = backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    writing = false;
    await writer;
    const head = await backend.head();
    await until("feed caught up", () => log.maxRevision >= head.revision);
    const stored = await raw.readAll();
    const seen = log.materialize();
    expect(seen.size).toBe(300);
    for (const [key, rec] of stored) expect(seen.get(key)?.revision).toBe(rec.revision);
    expect(log.gaps).toEqual([]);
    await sub.close();
  });

  it("resumes after a revision from the change log, then syncs at the head", async () => {
    const { backend } = await lattice();
    for (let i = 0; i < 2; i++) await put(backend, `CLAIMS_K${i}`, { i });
    const first = new FeedLog();
    const snapshot = backend.subscribe({ revision: 0 }, first);
    await until("the snapshot synced", () => first.heads.length === 1);
    await snapshot.close();
    const synced = first.heads[0] as BackendHead;
    expect(synced.revision).toBe(2);
    for (let i = 2; i < 5; i++) await put(backend, `CLAIMS_K${i}`, { i });
    const log = new FeedLog();
    const sub = backend.subscribe(synced, log);
    await until("synced", () => log.heads.length === 1);
    expect(log.entries.map((e) => e.revision)).toEqual([3, 4, 5]);
    expect(log.heads[0]).toEqual({ revision: 5, epoch: synced.epoch });
    expect(log.gaps).toEqual([]);
    await sub.close();
  });
});

describe("rule 9: gaps are reported, never skipped", () => {
  it("a resume behind a trimmed change log is a gap", async () => {
    const { backend } = await lattice({ changeLogLength: 1 });
    await Promise.all(Array.from({ length: 400 }, (_, i) => put(backend, `CLAIMS_K${i % 10}`, { i })));
    const log = new FeedLog();
    backend.subscribe({ revision: 1, epoch: (await backend.head()).epoch }, log);
    await until("gap", () => log.gaps.length === 1);
    expect(log.gaps[0]).toMatch(/trimmed/);
    expect(log.heads).toEqual([]);
  });

  it("a resume past the backend's head (history lost) is a gap", async () => {
    const { backend } = await lattice();
    await put(backend, "CLAIMS_A", { v: 1 });
    const log = new FeedLog();
    backend.subscribe({ revision: 50, epoch: (await backend.head()).epoch }, log);
    await until("gap", () => log.gaps.length === 1);
    expect(log.gaps[0]).toMatch(/history lost/);
  });

  it("a resume in another history than the lattice's (the replica's epoch) is a gap", async () => {
    const { backend } = await lattice();
    for (let i = 0; i < 3; i++) await put(backend, `CLAIMS_K${i}`, { i });
    const log = new FeedLog();
    backend.subscribe({ revision: 1, epoch: "another-history" }, log);
    await until("gap", () => log.gaps.length === 1);
    expect(log.gaps[0]).toMatch(/history changed/);
    expect(log.entries).toEqual([]);
  });

  it("a resume whose last delivered revisions now hold other changes (same epoch) is a gap", async () => {
    const { backend, raw } = await lattice();
    await put(backend, "CLAIMS_A", { v: 1 });
    const restore = await raw.checkpoint();
    await put(backend, "CLAIMS_B", { v: 1 });
    const first = new FeedLog();
    const sub = backend.subscribe({ revision: 0 }, first);
    await until("synced at 2", () => first.heads.length === 1);
    await sub.close();
    // Restored from the backup, then written again: revision 2 is another change, in the same epoch.
    await restore();
    await put(backend, "CLAIMS_C", { v: 1 });
    const log = new FeedLog();
    backend.subscribe(first.heads[0] as BackendHead, log);
    await until("gap", () => log.gaps.length === 1);
    expect(log.gaps[0]).toMatch(
      /rewritten.*revision 2 was delivered as a change of \d+ bytes.*holds CLAIMS_C.*another key/,
    );
    expect(log.heads).toEqual([]);
  });

  it("an entry in the change log the write script did not make is a gap, not a skipped change", async () => {
    const { backend, raw } = await lattice({ feedBlockMs: 200 });
    await put(backend, "CLAIMS_A", { v: 1 });
    const log = new FeedLog();
    backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    await raw.admin.xadd(backend.keys.changes, "2-0", "something", "else");
    await until("gap", () => log.gaps.length === 1);
    expect(log.gaps[0]).toMatch(/not a lattice change/);
  });

  it("losing the keys under a live feed changes the epoch and the feed reports a gap", async () => {
    const { backend, raw } = await lattice({ feedBlockMs: 200 });
    await put(backend, "CLAIMS_A", { v: 1 });
    const before = await backend.head();
    const log = new FeedLog();
    backend.subscribe({ revision: 0 }, log);
    await until("synced", () => log.heads.length === 1);
    await raw.loseHistory();
    const { revision } = await put(backend, "CLAIMS_B", { v: 1 });
    expect(revision).toBe(1);
    const after = await backend.head();
    expect(after.epoch).not.toBe(before.epoch);
    await until("gap", () => log.gaps.length === 1);
    expect(log.gaps[0]).toMatch(/history changed|history lost/);
  });

  it("a counter lost while data remains never reuses a revision", async () => {
    const { backend, raw } = await lattice();
    await put(backend, "CLAIMS_A", { v: 1 });
    await put(backend, "CLAIMS_B", { v: 1 });
    await raw.admin.del(backend.keys.revision);
    expect((await put(backend, "CLAIMS_C", { v: 1 })).revision).toBe(3);
  });
});
