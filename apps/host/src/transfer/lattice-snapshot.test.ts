import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  claimsCodec,
  claimsKey,
  MemoryBackend,
  MemoryStore,
  refmapKey,
  refmapsCodec,
} from "@lattice-cache/core";
import { afterAll, describe, expect, it } from "vitest";
import { takeSnapshot } from "./lattice-snapshot.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-snapshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (json: string) => new TextEncoder().encode(json);
const text = (value: Uint8Array) => new TextDecoder().decode(value);

describe("takeSnapshot: each live entry validated once, read back in the wire shape", () => {
  it("reads each live entry once with its normalized value and encoded bytes, whatever shape it was stored in", async () => {
    const store = new MemoryStore();
    // Stored as another writer may have: fields out of order, whitespace, a claim missing its empty fields.
    store.write({ key: claimsKey("MSUB"), value: bytes('{ "name": "n",  "sub": "MSUB" }'), origin: "t" });
    store.write({
      key: refmapKey("oci://test/a:1"),
      value: bytes('{"public_key":"MA","oci_url":"oci://test/a:1"}'),
      origin: "t",
    });
    store.write({
      key: refmapKey("oci://test/gone:1"),
      value: bytes('{"oci_url":"oci://test/gone:1","public_key":"MG"}'),
      origin: "t",
    });
    store.write({ key: refmapKey("oci://test/gone:1"), value: null, origin: "t" });
    const backend = new MemoryBackend(store);
    await backend.open();
    const spoolDir = mkdtempSync(join(dir, "spool-"));

    const snapshot = await takeSnapshot(backend, {
      collections: ["linkdefs", "claims", "refmaps"],
      idleTimeoutMs: 10_000,
      spoolDir,
    });
    const entries = [...snapshot.read()];

    const claim = claimsCodec.parse({ sub: "MSUB", name: "n" });
    const refmap = refmapsCodec.parse({ oci_url: "oci://test/a:1", public_key: "MA" });
    expect(
      entries.map((e) => ({ key: e.key, collection: e.collection, value: e.value, text: text(e.bytes) })),
    ).toEqual([
      { key: claimsKey("MSUB"), collection: "claims", value: claim, text: text(claimsCodec.encode(claim)) },
      {
        key: refmapKey("oci://test/a:1"),
        collection: "refmaps",
        value: refmap,
        text: text(refmapsCodec.encode(refmap)),
      },
    ]);
    expect(snapshot.counts).toEqual({ linkdefs: 0, claims: 1, refmaps: 1 });
    expect(snapshot.holds(claimsKey("MSUB"))).toBe(true);
    expect(snapshot.holds(refmapKey("oci://test/gone:1"))).toBe(false);

    // One spool is left (the live entries), and nothing once the snapshot is removed.
    expect(readdirSync(spoolDir)).toHaveLength(1);
    snapshot.remove();
    expect(readdirSync(spoolDir)).toEqual([]);
    await backend.close();
  });
});
