// Tombstone compaction on the memory backend: due delete markers leave the entries and the change log, and a
// feed that would read across one ends in a gap. Only `Date` is faked: markers get their write times from it.
// Rules cited here: docs/semantics.md#rule-6, #rule-9.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { COMPACTION_PROGRESS_EVERY } from "./compaction.js";
import { recorder } from "./feed-recorder.test-helpers.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { until } from "./until.test-helpers.js";

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const bytes = (text: string) => new TextEncoder().encode(text);
const put = (store: MemoryStore, key: string) => store.write({ key, value: bytes(key), origin: "test" });
const del = (store: MemoryStore, key: string) => store.write({ key, value: null, origin: "test" });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("MemoryBackend.compactTombstones", () => {
  it("rule 6: removes only markers older than the cutoff — never a live key, a young marker or a key written again", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    put(store, "OLD");
    const oldDelete = del(store, "OLD");
    put(store, "AGAIN");
    del(store, "AGAIN");
    put(store, "LIVE");
    vi.setSystemTime(T0 + HOUR);
    put(store, "AGAIN");
    put(store, "YOUNG");
    del(store, "YOUNG");
    vi.setSystemTime(T0 + 2 * HOUR);

    const report = await backend.compactTombstones({ olderThanMs: 90 * 60 * 1000, dryRun: false });
    expect(report.removed).toEqual([
      { key: "OLD", revision: oldDelete.revision, deletedAt: new Date(T0).toISOString() },
    ]);
    expect(report).toMatchObject({
      dryRun: false,
      scanned: 4,
      cutoff: new Date(T0 + 30 * 60 * 1000).toISOString(),
    });
    expect(store.read("OLD")).toBeUndefined();
    expect(store.changeAt(oldDelete.revision)).toBeUndefined();
    expect(store.read("AGAIN")?.value).not.toBeNull();
    expect(store.read("LIVE")?.value).not.toBeNull();
    expect(store.read("YOUNG")?.value).toBeNull();
  });

  it("a dry run removes nothing and reports the same markers a real run removes", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    for (const key of ["A", "B", "C"]) {
      put(store, key);
      del(store, key);
    }
    vi.setSystemTime(T0 + HOUR);
    const head = store.revision;
    const dry = await backend.compactTombstones({ olderThanMs: 1000, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.removed.map((r) => r.key)).toEqual(["A", "B", "C"]);
    expect(store.snapshot()).toHaveLength(3);
    expect(store.changesAfter(0)).toHaveLength(head);
    const real = await backend.compactTombstones({ olderThanMs: 1000, dryRun: false });
    expect(real.removed).toEqual(dry.removed);
    expect(store.snapshot()).toHaveLength(0);
  });

  it("reports progress every COMPACTION_PROGRESS_EVERY records, and the final count", async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 2 * COMPACTION_PROGRESS_EVERY + 5; i++) put(store, `K${i}`);
    const seen: number[] = [];
    await new MemoryBackend(store).compactTombstones({
      olderThanMs: 1000,
      dryRun: true,
      progress: (n) => seen.push(n),
    });
    expect(seen).toEqual([
      COMPACTION_PROGRESS_EVERY,
      2 * COMPACTION_PROGRESS_EVERY,
      2 * COMPACTION_PROGRESS_EVERY + 5,
    ]);
  });

  it("refuses an olderThanMs that is not a positive number of ms (CONFIGURATION)", async () => {
    const backend = new MemoryBackend(new MemoryStore());
    for (const olderThanMs of [0, -1, 1.5, Number.NaN]) {
      await expect(backend.compactTombstones({ olderThanMs, dryRun: true })).rejects.toMatchObject({
        code: "CONFIGURATION",
        field: "olderThanMs",
      });
    }
  });
});

describe("a feed across a compacted marker (followLog over the memory log)", () => {
  /** The gap a feed resuming at `position` reports once the store's markers are compacted (an hour later). */
  async function gapOfResume(store: MemoryStore, position: number): Promise<string | undefined> {
    const backend = new MemoryBackend(store);
    vi.setSystemTime(T0 + HOUR);
    await backend.compactTombstones({ olderThanMs: 1000, dryRun: false });
    const r = recorder();
    const feed = backend.subscribe({ revision: position, epoch: store.epoch }, r.sink);
    await until(() => r.gap() !== undefined, "the gap");
    await feed.close();
    expect(r.calls.filter((c) => c.startsWith("entry"))).toEqual([]);
    return r.gap();
  }

  it("rule 9: a resume that must read across a removed marker ends in a gap (a hole in the log)", async () => {
    const store = new MemoryStore();
    put(store, "A");
    del(store, "A");
    put(store, "B");
    expect(await gapOfResume(store, 1)).toMatch(/jumps from revision 1 to 3/);
  });

  it("rule 9: a resume whose only missing change is a removed marker at the log's end ends in a gap", async () => {
    const store = new MemoryStore();
    put(store, "A");
    del(store, "A");
    expect(await gapOfResume(store, 1)).toMatch(/holds nothing after revision 1 though the store reached 2/);
  });

  it("a feed past the removed marker goes on undisturbed, and a snapshot no longer holds the key", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    put(store, "A");
    del(store, "A");
    const live = recorder();
    const feed = backend.subscribe({ revision: 0 }, live.sink);
    await until(() => live.synced() !== undefined, "synced");
    vi.setSystemTime(T0 + HOUR);
    await backend.compactTombstones({ olderThanMs: 1000, dryRun: false });
    put(store, "B");
    await until(() => live.calls.includes("entry B@3"), "B");
    expect(live.gap()).toBeUndefined();
    const fresh = recorder();
    const second = backend.subscribe({ revision: 0 }, fresh.sink);
    await until(() => fresh.synced() !== undefined, "the fresh snapshot");
    expect(fresh.calls.filter((c) => !c.startsWith("connection"))).toEqual(["entry B@3", "synced 3"]);
    await Promise.all([feed.close(), second.close()]);
  });
});
