import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimsKey, MemoryBackend, MemoryStore, refmapKey } from "@lattice-cache/core";
import type { FeedSink, LatticeBackend } from "@lattice-cache/core/backend";
import { storeRaw } from "@lattice-cache/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { checkExportFile } from "./export-file-reader.js";
import { ExportFile, ExportStream } from "./export-output.js";
import { exportLattice } from "./exporter.js";
import { collector, retainedBytes } from "./heap-growth.test-helpers.js";
import { SnapshotGapError } from "./transfer-errors.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-exporter-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const refmap = (i: number) => json({ oci_url: `oci://test/app-${i}:1`, public_key: `MKEY${i}` });
const refmapKeyOf = (i: number) => refmapKey(`oci://test/app-${i}:1`);

async function opened(store: MemoryStore): Promise<MemoryBackend> {
  const backend = new MemoryBackend(store);
  await backend.open();
  return backend;
}

function exportToText(backend: LatticeBackend, extra: Partial<Parameters<typeof exportLattice>[1]> = {}) {
  let text = "";
  return exportLattice(backend, {
    prefix: "test",
    sourceBackend: backend.name,
    collections: ["linkdefs", "claims", "refmaps"],
    idleTimeoutMs: 10_000,
    output: new ExportStream((t) => {
      text += t;
    }),
    ...extra,
  }).then((report) => ({
    report,
    lines: text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l)),
  }));
}

describe("exportLattice: a snapshot of one revision, each key's latest live value", () => {
  it("writes the header, each live entry once (deletes and overwrites resolved), and the trailer", async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++) store.write({ key: refmapKeyOf(i), value: refmap(i), origin: "t" });
    store.write({ key: refmapKeyOf(1), value: null, origin: "t" });
    store.write({
      key: refmapKeyOf(2),
      value: json({ oci_url: "oci://test/app-2:1", public_key: "MNEW" }),
      origin: "t",
    });
    store.write({ key: claimsKey("MSUB"), value: json({ sub: "MSUB", name: "n" }), origin: "t" });
    const backend = await opened(store);

    const { report, lines } = await exportToText(backend);

    expect(lines[0]).toMatchObject({
      format: "lattice-export",
      version: 1,
      prefix: "test",
      sourceBackend: "memory",
      revision: 8,
      collections: { linkdefs: 0, claims: 1, refmaps: 4 },
      entries: 5,
      digest: report.digest,
    });
    const entries = lines.slice(1, -1);
    expect(entries.map((e) => e.key).sort()).toEqual(
      [claimsKey("MSUB"), refmapKeyOf(0), refmapKeyOf(2), refmapKeyOf(3), refmapKeyOf(4)].sort(),
    );
    expect(entries.find((e) => e.key === refmapKeyOf(2)).value.public_key).toBe("MNEW");
    // The value in the wire shape, normalized by the codec (claims gain their empty fields).
    expect(entries.find((e) => e.key === claimsKey("MSUB")).value).toEqual({
      call_alias: "",
      iss: "",
      name: "n",
      caps: "",
      rev: "0",
      tags: "",
      version: "",
      sub: "MSUB",
    });
    expect(lines.at(-1)).toEqual({ end: true, entries: 5, digest: report.digest });
    await backend.close();
  });

  it("exports only the collections asked for", async () => {
    const store = new MemoryStore();
    store.write({ key: refmapKeyOf(0), value: refmap(0), origin: "t" });
    store.write({ key: claimsKey("MSUB"), value: json({ sub: "MSUB" }), origin: "t" });
    const backend = await opened(store);
    const { lines } = await exportToText(backend, { collections: ["claims"] });
    expect(lines[0].collections).toEqual({ claims: 1 });
    expect(lines.slice(1, -1).map((e) => e.key)).toEqual([claimsKey("MSUB")]);
    await backend.close();
  });

  it("leaves out a stored value its collection's codec refuses, and says which", async () => {
    const store = new MemoryStore();
    store.write({ key: refmapKeyOf(0), value: refmap(0), origin: "t" });
    storeRaw(store, refmapKeyOf(1), new TextEncoder().encode("{not json"));
    const backend = await opened(store);
    const invalid: string[] = [];
    const { lines } = await exportToText(backend, { onInvalid: (key) => invalid.push(key) });
    expect(invalid).toEqual([refmapKeyOf(1)]);
    expect(lines[0].entries).toBe(1);
    await backend.close();
  });

  it("restarts the snapshot after a gap, and gives up with SnapshotGapError after the third", async () => {
    const store = new MemoryStore();
    store.write({ key: refmapKeyOf(0), value: refmap(0), origin: "t" });
    const backend = await opened(store);
    const gapping = (gaps: number): LatticeBackend => {
      let left = gaps;
      return Object.assign(Object.create(backend) as LatticeBackend, {
        subscribe(from: Parameters<LatticeBackend["subscribe"]>[0], sink: FeedSink) {
          if (left-- > 0) {
            // A snapshot that delivers a change, then loses its history.
            queueMicrotask(() => {
              sink.entry({ key: refmapKeyOf(9), value: refmap(9), revision: 7 });
              sink.gap("history lost (test)");
            });
            return { close: async () => {} };
          }
          return backend.subscribe(from, sink);
        },
      });
    };
    const restarts: number[] = [];
    const { lines } = await exportToText(gapping(2), { onRestart: (_, attempt) => restarts.push(attempt) });
    expect(restarts).toEqual([1, 2]);
    // Nothing of the abandoned attempts is kept.
    expect(lines.slice(1, -1).map((e) => e.key)).toEqual([refmapKeyOf(0)]);

    await expect(exportToText(gapping(3))).rejects.toBeInstanceOf(SnapshotGapError);
    await backend.close();
  });

  it("a file export is created mode 0600, appears only once complete, and pass 1 of import accepts it", async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 100; i++) store.write({ key: refmapKeyOf(i), value: refmap(i), origin: "t" });
    const backend = await opened(store);
    const path = join(dir, "export.jsonl");
    const report = await exportLattice(backend, {
      prefix: "test",
      sourceBackend: "memory",
      collections: ["refmaps"],
      idleTimeoutMs: 10_000,
      output: new ExportFile(path),
    });
    const { statSync } = await import("node:fs");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const checked = await checkExportFile(path, 1 << 20);
    expect(checked.problems).toEqual([]);
    expect(checked.entries).toBe(100);
    expect(readFileSync(path, "utf8").split("\n")[0]).toContain(report.digest);
    await backend.close();
  });
});

describe("exportLattice: memory stays flat", () => {
  // The bound: 40 bytes an entry (the key table takes 17–43 bytes a key, outside the heap) plus a constant 8 MB
  // for the fixed buffers (spool writes and reads, output) and the backend's own feed. A replica of the same
  // entries would take hundreds of bytes an entry: the values themselves.
  it("exports 200,000 entries with heap and buffers growing by less than 40 bytes an entry plus 8 MB", async (test) => {
    const gc = collector();
    // Without a collector, garbage would count as growth: the measurement would mean nothing.
    if (!gc) test.skip();
    const n = 200_000;
    const store = new MemoryStore();
    for (let i = 0; i < n; i++) store.write({ key: refmapKeyOf(i), value: refmap(i), origin: "t" });
    const backend = await opened(store);
    const used = () => retainedBytes(gc as () => void);
    const before = used();
    let peak = before;
    const phases: string[] = [];
    const sample = (count: number, total?: number) => {
      if (count % 40_000 === 0) {
        const now = used();
        phases.push(`${total === undefined ? "r" : "w"}${count}:${((now - before) / 1e6).toFixed(1)}`);
        peak = Math.max(peak, now);
      }
    };
    const report = await exportLattice(backend, {
      prefix: "test",
      sourceBackend: "memory",
      collections: ["refmaps"],
      idleTimeoutMs: 60_000,
      output: new ExportFile(join(dir, "big.jsonl")),
      onReceived: sample,
      onWritten: sample,
    });
    expect(report.entries).toBe(n);
    const growth = peak - before;
    expect(growth, `peak growth ${(growth / 1e6).toFixed(1)} MB (${phases.join(" ")})`).toBeLessThan(
      40 * n + 8 * 1024 * 1024,
    );
    await backend.close();
  });
});
