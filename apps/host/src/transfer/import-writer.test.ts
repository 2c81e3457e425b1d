import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimsKey, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { loseHistory, storeRaw } from "@lattice-cache/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { OperationalError } from "../cli/cli-errors.js";
import { refmapEntry } from "./export-file.test-helpers.js";
import { collector, retainedBytes } from "./heap-growth.test-helpers.js";
import { type ImportOptions, type ImportSummary, importEntries } from "./import-writer.js";
import type { TransferEntry } from "./transfer-format.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-import-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : bytes);
const utf8 = (s: string) => new TextEncoder().encode(s);

async function opened(store: MemoryStore): Promise<MemoryBackend> {
  const backend = new MemoryBackend(store);
  await backend.open();
  return backend;
}

/** Imports `entries` (refmaps) into `store` as host `importer` (`replace`: the source holds `entries`). */
async function importInto(
  store: MemoryStore,
  entries: Iterable<TransferEntry>,
  options: Partial<ImportOptions> = {},
): Promise<ImportSummary> {
  const backend = await opened(store);
  const keys = new Set(Array.isArray(entries) ? entries.map((e: TransferEntry) => e.key) : []);
  try {
    return await importEntries({ backend, origin: "importer", maxValueBytes: 1 << 20 }, entries, {
      mode: "merge",
      dryRun: false,
      collections: ["refmaps"],
      holds: (key) => keys.has(key),
      idleTimeoutMs: 10_000,
      spoolDir: dir,
      ...options,
    });
  } finally {
    await backend.close();
  }
}

const none = { created: 0, updated: 0, unchanged: 0, deleted: 0, conflictsRetried: 0 };

describe("importEntries: each entry compared with the target's state, written with compare-and-swap", () => {
  it("creates, updates and leaves unchanged; writes exactly the codec's bytes with the importer's origin; a second run writes nothing", async () => {
    const store = new MemoryStore();
    const [updated, unchanged, created] = [1, 2, 3].map((i) => refmapEntry(i)) as TransferEntry[];
    const file = [updated, unchanged, created] as TransferEntry[];
    store.write({
      key: file[0]?.key as string,
      value: utf8('{"oci_url":"oci://test/app-1:1","public_key":"MOLD"}'),
      origin: "other",
    });
    // Stored in another shape (fields reordered, spaces): the same value once normalized, so unchanged.
    store.write({
      key: file[1]?.key as string,
      value: utf8('{ "public_key": "MKEY2",  "oci_url": "oci://test/app-2:1" }'),
      origin: "other",
    });

    const first = await importInto(store, file);
    expect(first).toEqual({ mode: "merge", dryRun: false, ...none, created: 1, updated: 1, unchanged: 1 });
    for (const e of [updated, created] as TransferEntry[]) {
      expect(text(store.read(e.key)?.value)).toBe(text(e.bytes));
      expect(store.read(e.key)?.origin).toBe("importer");
    }
    expect(store.read(file[1]?.key as string)?.origin).toBe("other");

    const again = await importInto(store, file);
    expect(again).toEqual({ mode: "merge", dryRun: false, ...none, unchanged: 3 });
  });

  it("overwrites a stored value its collection's codec refuses, at that value's revision", async () => {
    const store = new MemoryStore();
    const e = refmapEntry(1);
    storeRaw(store, e.key, utf8("{not json"));
    const summary = await importInto(store, [e]);
    expect(summary).toEqual({ mode: "merge", dryRun: false, ...none, updated: 1 });
    expect(text(store.read(e.key)?.value)).toBe(text(e.bytes));
  });

  it("a key changed, deleted or created by another writer after the target was read is read again from the store and decided again", async () => {
    const store = new MemoryStore();
    const [changed, deleted, created, sameAsFile] = [1, 2, 3, 4].map((i) =>
      refmapEntry(i),
    ) as TransferEntry[];
    const old = (e: TransferEntry) => utf8(text(e.bytes)?.replace(/MKEY\d+/, "MOLD") as string);
    for (const e of [changed, deleted] as TransferEntry[])
      store.write({ key: e.key, value: old(e), origin: "o" });
    const summary = await importInto(store, [changed, deleted, created, sameAsFile] as TransferEntry[], {
      onTargetRead: () => {
        storeRaw(store, (changed as TransferEntry).key, old(refmapEntry(9)));
        storeRaw(store, (deleted as TransferEntry).key, null);
        storeRaw(store, (created as TransferEntry).key, old(created as TransferEntry));
        storeRaw(store, (sameAsFile as TransferEntry).key, (sameAsFile as TransferEntry).bytes);
      },
    });
    // changed: updated at its new revision; deleted: created; created: updated; sameAsFile: unchanged.
    expect(summary).toEqual({
      mode: "merge",
      dryRun: false,
      ...none,
      created: 1,
      updated: 2,
      unchanged: 1,
      conflictsRetried: 4,
    });
    for (const e of [changed, deleted, created, sameAsFile] as TransferEntry[]) {
      expect(text(store.read(e.key)?.value)).toBe(text(e.bytes));
    }
  });

  it("after the store lost its history (a new epoch) since the target was read, writes into the new history", async () => {
    const store = new MemoryStore();
    const entries = [1, 2, 3].map((i) => refmapEntry(i));
    for (const e of entries.slice(0, 2)) store.write({ key: e.key, value: utf8("{}"), origin: "o" });
    const summary = await importInto(store, entries, { onTargetRead: () => loseHistory(store) });
    // The two keys read at a revision of the lost history conflict once, then are created in the new one.
    expect(summary).toEqual({ mode: "merge", dryRun: false, ...none, created: 3, conflictsRetried: 2 });
    for (const e of entries) expect(text(store.read(e.key)?.value)).toBe(text(e.bytes));
  });

  it("replace deletes the target's entries the source does not hold, only within the source's collections; a dry run writes nothing", async () => {
    const store = new MemoryStore();
    const [kept, extra] = [refmapEntry(1), refmapEntry(2)] as [TransferEntry, TransferEntry];
    const claim = claimsKey("MSUB");
    store.write({ key: kept.key, value: kept.bytes, origin: "o" });
    store.write({ key: extra.key, value: extra.bytes, origin: "o" });
    store.write({ key: claim, value: utf8('{"sub":"MSUB","name":"n"}'), origin: "o" });

    const dry = await importInto(store, [kept], { mode: "replace", dryRun: true });
    expect(dry).toEqual({ mode: "replace", dryRun: true, ...none, unchanged: 1, deleted: 1 });
    expect(store.read(extra.key)?.value).not.toBeNull();

    const merged = await importInto(store, [kept], { mode: "merge" });
    expect(merged.deleted).toBe(0);

    const replaced = await importInto(store, [kept], { mode: "replace" });
    expect(replaced).toEqual({ mode: "replace", dryRun: false, ...none, unchanged: 1, deleted: 1 });
    expect(store.read(extra.key)?.value).toBeNull();
    expect(store.read(claim)?.value).not.toBeNull();
    expect((await importInto(store, [kept], { mode: "replace" })).deleted).toBe(0);
  });

  it("a value over the target's maxValueBytes stops the import, naming the key; what was written stays", async () => {
    const store = new MemoryStore();
    const small = refmapEntry(1);
    const big = refmapEntry(2, "x".repeat(100));
    const backend = await opened(store);
    const run = importEntries({ backend, origin: "importer", maxValueBytes: 80 }, [small, big], {
      mode: "merge",
      dryRun: false,
      collections: ["refmaps"],
      holds: () => true,
      idleTimeoutMs: 10_000,
      concurrency: 1,
    });
    await expect(run).rejects.toThrow(OperationalError);
    await expect(run).rejects.toThrow(`writing ${big.key} failed (VALUE_TOO_LARGE`);
    expect(text(store.read(small.key)?.value)).toBe(text(small.bytes));
    await backend.close();
  });
});

describe("importEntries: memory stays flat (no replica of the target)", () => {
  // The bound: 40 bytes an entry (the key table, outside the heap) plus 8 MB for the fixed buffers. A replica of
  // the target — what the import read it with before — takes the values themselves: hundreds of bytes an entry.
  it("compares 100,000 entries the target already holds with heap and buffers growing by less than 40 bytes an entry plus 8 MB", async (test) => {
    const gc = collector();
    if (!gc) test.skip();
    const n = 100_000;
    const store = new MemoryStore();
    for (let i = 0; i < n; i++) {
      const e = refmapEntry(i);
      store.write({ key: e.key, value: e.bytes, origin: "t" });
    }
    const used = () => retainedBytes(gc as () => void);
    const before = used();
    let peak = before;
    function* entries(): Generator<TransferEntry> {
      for (let i = 0; i < n; i++) yield refmapEntry(i);
    }
    const result = await importInto(store, entries(), {
      idleTimeoutMs: 60_000,
      onTargetRead: () => {
        peak = Math.max(peak, used());
      },
      onProgress: (done) => {
        if (done % 20_000 === 0) peak = Math.max(peak, used());
      },
    });
    expect(result.unchanged).toBe(n);
    const growth = peak - before;
    expect(growth, `peak growth ${(growth / 1e6).toFixed(1)} MB`).toBeLessThan(40 * n + 8 * 1024 * 1024);
  }, 120_000);
});
