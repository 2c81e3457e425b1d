// Export files for tests, written with the format's own encoders: reference maps with made-up URLs.
import { refmapKey, refmapsCodec } from "@lattice-cache/core";
import { ContentDigest } from "./content-digest.js";
import { encodeEntry, encodeHeader, encodeTrailer, type TransferEntry } from "./transfer-format.js";

/** The reference map entry number `i` (`oci://test/app-<i>:<tag>`). */
export function refmapEntry(i: number, tag = "1"): TransferEntry {
  const value = refmapsCodec.parse({ oci_url: `oci://test/app-${i}:${tag}`, public_key: `MKEY${i}` });
  return { key: refmapKey(value.oci_url), collection: "refmaps", value, bytes: refmapsCodec.encode(value) };
}

/** A complete, valid export file holding `entries` (refmaps only). */
export function exportFileText(entries: readonly TransferEntry[], prefix = "test"): string {
  const digest = new ContentDigest();
  for (const e of entries) digest.add(e.key, e.bytes);
  const header = encodeHeader({
    format: "lattice-export",
    version: 1,
    prefix,
    sourceBackend: "memory",
    revision: entries.length,
    epoch: "test",
    exportedAt: new Date(0).toISOString(),
    collections: { refmaps: entries.length },
    entries: entries.length,
    digest: digest.hex(),
  });
  return (
    header +
    entries.map(encodeEntry).join("") +
    encodeTrailer({ end: true, entries: entries.length, digest: digest.hex() })
  );
}
