// The value of one field of the entries hash: `<revision>:<kind>:<origin byte length>:<origin><value bytes>`;
// a tombstone has its delete time (ms since the epoch, decimal) where a value has its bytes — absent on
// tombstones written before compaction existed, which readers ignored and still may.
// The Lua write script builds it and reads only its head (revision and kind); TypeScript decodes it whole.
// Binary-safe: the value bytes are stored exactly as core encoded them (the wasmCloud JSON shapes).
// Rules cited here: docs/semantics.md#rule-6.

/** One decoded record of the entries hash. */
export interface EntryRecord {
  /** The revision of the write that produced it. */
  readonly revision: number;
  /** The value bytes, or `null` for a tombstone. */
  readonly value: Uint8Array | null;
  /** The writing host's id. */
  readonly origin: string;
  /** A tombstone's delete time (ms since the epoch), when its record carries one. */
  readonly deletedAt?: number;
}

/** `kind` of a live value. */
export const VALUE_KIND = "v";
/** `kind` of a tombstone (rule 6: deletes keep their revision). */
export const TOMBSTONE_KIND = "d";

const COLON = 0x3a;

/** Encodes a record (the Lua script does the same; this one serves tests and tools). */
export function encodeEntryRecord(record: EntryRecord): Buffer {
  const origin = Buffer.from(record.origin, "utf8");
  const kind = record.value === null ? TOMBSTONE_KIND : VALUE_KIND;
  const head = Buffer.from(`${record.revision}:${kind}:${origin.length}:`, "latin1");
  const tail =
    record.value ?? Buffer.from(record.deletedAt === undefined ? "" : String(record.deletedAt), "latin1");
  return Buffer.concat([head, origin, tail]);
}

/**
 * Decodes a record. Throws `TypeError` on a malformed one (something else wrote into the hash); the
 * callers turn that into a skipped entry rather than a crash.
 */
export function decodeEntryRecord(raw: Uint8Array): EntryRecord {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const first = bytes.indexOf(COLON);
  const revision = first > 0 ? Number(bytes.toString("latin1", 0, first)) : Number.NaN;
  const kind = bytes.toString("latin1", first + 1, first + 2);
  const third = first + 3;
  const lengthEnd = bytes[first + 2] === COLON ? bytes.indexOf(COLON, third) : -1;
  const originLength = lengthEnd > third ? Number(bytes.toString("latin1", third, lengthEnd)) : Number.NaN;
  const originEnd = lengthEnd + 1 + originLength;
  if (
    !Number.isSafeInteger(revision) ||
    revision <= 0 ||
    (kind !== VALUE_KIND && kind !== TOMBSTONE_KIND) ||
    !Number.isSafeInteger(originLength) ||
    originLength < 0 ||
    originEnd > bytes.length
  ) {
    throw new TypeError(`malformed lattice entry record (${bytes.length} bytes)`);
  }
  const origin = bytes.toString("utf8", lengthEnd + 1, originEnd);
  if (kind === TOMBSTONE_KIND) {
    const time = bytes.toString("latin1", originEnd);
    const deletedAt = /^\d{1,16}$/.test(time) ? Number(time) : undefined;
    return deletedAt === undefined
      ? { revision, value: null, origin }
      : { revision, value: null, origin, deletedAt };
  }
  // A copy, so the record does not pin the (possibly large) reply buffer it came from.
  return { revision, value: new Uint8Array(bytes.subarray(originEnd)), origin };
}
