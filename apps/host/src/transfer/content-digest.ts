// The content digest of a transfer: an order-independent set digest over (key, value bytes) — no revisions,
// which differ between backends — so an export, an import and a copy's source and target compare by content.
// Rules cited here: docs/semantics.md#rule-2.
import { createHash } from "node:crypto";
import { type EntryHash, lanesOf, SetDigest } from "@lattice-cache/core/backend";

/** One entry's contribution: sha256(key, NUL, value) cut into the four 28-bit lanes core's `SetDigest` XORs. */
export function contentHash(key: string, value: Uint8Array): EntryHash {
  return lanesOf(createHash("sha256").update(key).update("\0").update(value).digest());
}

/**
 * The digest of a set of live entries (rule 2's set digest, without revisions): equal contents give equal
 * digests whatever the order the entries were added in. Add each key once.
 */
export class ContentDigest {
  private readonly digest = new SetDigest();
  private count = 0;

  /** Adds one live entry. */
  add(key: string, value: Uint8Array): void {
    this.digest.toggle(contentHash(key, value));
    this.count++;
  }

  /** Entries added. */
  get entries(): number {
    return this.count;
  }

  /** The digest as 28 hex characters. */
  hex(): string {
    return this.digest.hex();
  }
}
