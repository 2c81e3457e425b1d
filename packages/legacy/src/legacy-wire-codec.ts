// Generation-1 payloads: MessagePack maps in the wire shape ↔ core's validated values and JSON storage bytes.
import {
  type CollectionCodec,
  type CollectionName,
  type CollectionValues,
  claimsCodec,
  linkdefsCodec,
  refmapsCodec,
} from "@lattice-cache/core";
import { errorText } from "@lattice-cache/core/backend";
import { decode, encode } from "@msgpack/msgpack";

/** A value of any of the three collections. */
type AnyValue = CollectionValues[CollectionName];

/**
 * Core's codec of each collection (validation, storage keys, JSON storage bytes), widened so a record's
 * collection picks its codec; each codec only ever sees values of its own collection.
 */
export const COLLECTION_CODECS: { readonly [C in CollectionName]: CollectionCodec<AnyValue, unknown> } = {
  linkdefs: linkdefsCodec as unknown as CollectionCodec<AnyValue, unknown>,
  claims: claimsCodec as unknown as CollectionCodec<AnyValue, unknown>,
  refmaps: refmapsCodec as unknown as CollectionCodec<AnyValue, unknown>,
};

/** One validated value of some collection, with its generation-3 storage key. */
export type LegacyRecord = {
  [C in CollectionName]: {
    readonly collection: C;
    readonly key: string;
    readonly value: CollectionValues[C];
  };
}[CollectionName];

/** The outcome of decoding one generation-1 message: a record, or why it was refused. */
export type LegacyDecodeResult =
  | { readonly ok: true; readonly record: LegacyRecord }
  | { readonly ok: false; readonly reason: string };

/** Validates a plain value of `collection` (as decoded from the wire) into a record with its storage key. */
export function recordOf(collection: CollectionName, input: unknown): LegacyDecodeResult {
  try {
    const codec = COLLECTION_CODECS[collection];
    const value = codec.parse(input);
    return { ok: true, record: { collection, key: codec.keyOfValue(value), value } as LegacyRecord };
  } catch (error) {
    return { ok: false, reason: errorText(error) };
  }
}

/** Decodes one put/del payload of `collection`. Never throws. */
export function decodeLegacyMessage(collection: CollectionName, payload: Uint8Array): LegacyDecodeResult {
  const decoded = decodeMsgpack(payload);
  if (!decoded.ok) return decoded;
  return recordOf(collection, decoded.value);
}

/** What a `.get` reply held: the valid records and how many items were refused. */
export interface LegacyListDecodeResult {
  readonly records: LegacyRecord[];
  /** Items (or whole replies) that could not be decoded or validated. */
  readonly invalid: number;
  /** The first refusal, for a log line. */
  readonly firstReason: string | undefined;
}

/** Decodes a `.get` reply (a MessagePack array of values). Never throws. */
export function decodeLegacyList(collection: CollectionName, payload: Uint8Array): LegacyListDecodeResult {
  const decoded = decodeMsgpack(payload);
  if (!decoded.ok) return { records: [], invalid: 1, firstReason: decoded.reason };
  if (!Array.isArray(decoded.value)) {
    return { records: [], invalid: 1, firstReason: "a .get reply must be a MessagePack array" };
  }
  const records: LegacyRecord[] = [];
  let invalid = 0;
  let firstReason: string | undefined;
  for (const item of decoded.value) {
    const result = recordOf(collection, item);
    if (result.ok) records.push(result.record);
    else {
      invalid += 1;
      firstReason ??= result.reason;
    }
  }
  return { records, invalid, firstReason };
}

/**
 * The wire shape of a value as old hosts sent it: link definitions without `id` (old hosts never sent
 * one), claims with comma-joined lists and string `rev`, reference maps as they are.
 */
export function wireShapeOf(record: LegacyRecord): Record<string, unknown> {
  const wire = COLLECTION_CODECS[record.collection].toWire(record.value);
  if (record.collection !== "linkdefs") return wire;
  const { id: _id, ...withoutId } = wire;
  return { ...withoutId, values: { ...(withoutId.values as Record<string, string>) } };
}

/** One put/del payload: a MessagePack map in the wire shape. */
export function encodeLegacyMessage(record: LegacyRecord): Uint8Array {
  return encode(wireShapeOf(record));
}

/** A `.get` reply: a MessagePack array of wire-shaped values. */
export function encodeLegacyList(records: Iterable<LegacyRecord>): Uint8Array {
  return encode([...records].map(wireShapeOf));
}

/** The JSON bytes core stores for a record (what the replica and the durable backends hold). */
export function storageBytesOf(record: LegacyRecord): Uint8Array {
  return COLLECTION_CODECS[record.collection].encode(record.value);
}

/** Two records hold the same stored value (compared by their canonical storage bytes). */
export function sameStoredValue(a: LegacyRecord, b: LegacyRecord): boolean {
  return a.key === b.key && Buffer.from(storageBytesOf(a)).equals(storageBytesOf(b));
}

function decodeMsgpack(payload: Uint8Array): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (payload.byteLength === 0) return { ok: false, reason: "empty payload" };
  try {
    return { ok: true, value: decode(payload) };
  } catch (error) {
    return {
      ok: false,
      reason: `not MessagePack (${errorText(error)})`,
    };
  }
}
