// Rule 2: an order-independent digest of the live (collection, key, revision, value-hash) set, kept incrementally.
// Rules cited here: docs/semantics.md#rule-2.
import { createHash } from "node:crypto";

/** One entry's contribution to the digest: four 28-bit lanes (small integers, cheap to keep per entry). */
export type EntryHash = readonly [number, number, number, number];

const LANE = 0x0fffffff;

/**
 * Hashes one live entry. The key carries the collection (its prefix), so this covers
 * (collection, key, revision, value).
 */
export function entryHash(key: string, revision: number, value: Uint8Array): EntryHash {
  const d = createHash("sha256")
    .update(key)
    .update("\0")
    .update(String(revision))
    .update("\0")
    .update(value)
    .digest();
  return lanesOf(d);
}

/** A sha256 digest cut into the four 28-bit lanes a `SetDigest` XORs (every set digest's entries are made so). */
export function lanesOf(sha256: Buffer): EntryHash {
  return [
    sha256.readUInt32BE(0) & LANE,
    sha256.readUInt32BE(4) & LANE,
    sha256.readUInt32BE(8) & LANE,
    sha256.readUInt32BE(12) & LANE,
  ];
}

/**
 * A set digest: the XOR of every live entry's hash. Equal sets give equal digests whatever the order of
 * application; adding and removing an entry are the same O(1) operation.
 */
export class SetDigest {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** Adds or removes an entry's hash (XOR is its own inverse). */
  toggle(h: EntryHash): void {
    this.a ^= h[0];
    this.b ^= h[1];
    this.c ^= h[2];
    this.d ^= h[3];
  }

  /** The digest as 28 hex characters. */
  hex(): string {
    return [this.a, this.b, this.c, this.d].map((n) => n.toString(16).padStart(7, "0")).join("");
  }
}
