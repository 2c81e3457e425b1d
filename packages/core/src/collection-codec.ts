// The contract each typed collection fulfils: how its values are keyed, validated, encoded and indexed.
import { InvalidEntryError } from "./errors.js";
import type { CollectionName } from "./keys.js";

/**
 * How one collection maps between values, natural keys (refs) and storage keys/bytes.
 * `V` is the normalized value (the wire shape), `R` the natural key a caller looks it up by.
 */
export interface CollectionCodec<V, R> {
  /** The collection's name. */
  readonly name: CollectionName;
  /** Storage key of a value (derived from its natural key). */
  keyOfValue(value: V): string;
  /** Storage key of a natural key; throws `InvalidKeyError` when it cannot be a key. */
  keyOfRef(ref: R): string;
  /**
   * Validates untrusted input (from the wire or a caller) and returns the normalized value.
   * Throws `InvalidEntryError` naming every bad field. When `key` is given, the value must belong under it.
   */
  parse(input: unknown, key?: string): V;
  /** Bytes from the backend → normalized value (JSON, then `parse`). */
  decode(bytes: Uint8Array, key: string): V;
  /** A normalized value → a plain object in the wire shape and field order real hosts use. */
  toWire(value: V): Record<string, unknown>;
  /** A normalized value → the bytes real hosts store (`toWire`, as JSON). */
  encode(value: V): Uint8Array;
  /** Secondary indexes: name → the index value of an entry (undefined = not indexed). */
  readonly indexes: Readonly<Record<string, (value: V) => string | undefined>>;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Parses JSON bytes, collecting the failure as an issue rather than throwing a SyntaxError. */
export function parseJsonBytes(
  bytes: Uint8Array,
): { ok: true; value: unknown } | { ok: false; issue: string } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, issue: "value is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, issue: `value is not JSON (${(error as Error).message})` };
  }
}

/**
 * A codec whose stored bytes are the JSON of its wire shape: `decode` is JSON then `parse` (a JSON or UTF-8
 * failure is an `InvalidEntryError` too), `encode` is `toWire` as JSON.
 */
export function jsonCodec<V, R>(
  spec: Omit<CollectionCodec<V, R>, "decode" | "encode">,
): CollectionCodec<V, R> {
  return {
    ...spec,
    decode(bytes, key) {
      const parsed = parseJsonBytes(bytes);
      if (!parsed.ok) throw new InvalidEntryError([parsed.issue], key);
      return spec.parse(parsed.value, key);
    },
    encode: (value) => jsonBytes(spec.toWire(value)),
  };
}

/** JSON-encodes to UTF-8 bytes. */
export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Describes a value's type for error messages. */
export function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Collects field problems; `record` is the object under validation. */
export class FieldChecker {
  readonly issues: string[] = [];
  constructor(readonly record: Record<string, unknown>) {}

  /** A required, non-empty string. */
  requiredString(field: string): string {
    const v = this.record[field];
    if (typeof v === "string" && v.length > 0) return v;
    this.issues.push(
      v === ""
        ? `field "${field}" must not be empty`
        : `field "${field}" must be a non-empty string (got ${typeOf(v)})`,
    );
    return "";
  }

  /** An optional string: missing or null becomes `fallback`. */
  optionalString(field: string, fallback: string): string {
    const v = this.record[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "string") return v;
    this.issues.push(`field "${field}" must be a string (got ${typeOf(v)})`);
    return fallback;
  }
}

/** Requires a plain object, reporting what it got instead. */
export function asRecord(input: unknown, issues: string[]): Record<string, unknown> | undefined {
  if (typeof input === "object" && input !== null && !Array.isArray(input))
    return input as Record<string, unknown>;
  issues.push(`value must be a JSON object (got ${typeOf(input)})`);
  return undefined;
}
