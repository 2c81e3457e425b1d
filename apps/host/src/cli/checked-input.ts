// Bad input is refused before anything is sent — before connecting at all: each collection command checks
// its keys, ids and the encoded size of its value here first (exit code 2, with a message that says why).
import {
  assertKeySafe,
  type CollectionCodec,
  type CollectionName,
  collectionOfKey,
  InvalidKeyError,
  LatticeCacheError,
  ValueTooLargeError,
} from "@lattice-cache/core";
import { UsageError } from "./cli-errors.js";

/**
 * The longest storage key accepted (bytes). A key becomes part of a NATS subject, and nats-server drops a
 * client whose protocol line exceeds `max_control_line` (4 KiB by default) — a long key would not fail, it
 * would cut the connection. 1 KiB leaves room for the subject prefix and headers.
 */
export const MAX_KEY_BYTES = 1024;

/** Characters that break a NATS subject token (`.` separates tokens, `*` and `>` are wildcards). */
const SUBJECT_BREAKERS: Readonly<Record<string, string>> = {
  ".": "'.' (a NATS token separator)",
  "*": "'*' (a NATS wildcard)",
  ">": "'>' (a NATS wildcard)",
};

/**
 * Refuses an id that travels in NATS subjects (actor, provider, link name, contract — the legacy broadcast
 * puts provider and link name in its subjects): empty, or containing `.`, `*`, `>` or whitespace.
 */
export function assertSubjectToken(value: string, what: string): void {
  checked(() => {
    if (value.length === 0) throw new InvalidKeyError(value, `${what} is empty`);
    for (const c of value) {
      const named = SUBJECT_BREAKERS[c] ?? (/\s/.test(c) ? "whitespace" : undefined);
      if (named) throw new InvalidKeyError(shorten(value), `${what} contains ${named}`);
    }
    assertKeyLength(value, what);
  });
}

/** Refuses a module public key (claims `sub`, a refmap's `public_key`): it becomes a key and a subject token. */
export function assertPublicKey(value: string, what: string): void {
  checked(() => {
    // Bytes before core's character count: the limit that matters on the wire, in the README's words.
    assertKeyLength(value, what);
    assertKeySafe(value, what);
  });
}

/** The storage key of `ref`, checked (subject-safe, not too long). */
export function checkedKey<V, R>(codec: CollectionCodec<V, R>, ref: R): string {
  return checked(() => {
    const key = codec.keyOfRef(ref);
    assertKeyLength(key);
    return key;
  });
}

/**
 * A storage key as typed on the command line (`lattice get`), checked: subject-safe, not too long, and in one
 * of the three collections (`LINKDEF_…`, `CLAIMS_…`, `REFMAP_…`). Returns its collection.
 */
export function checkedStorageKey(key: string): CollectionName {
  return checked(() => {
    assertKeyLength(key);
    assertKeySafe(key);
    const collection = collectionOfKey(key);
    if (collection === undefined || /^(LINKDEF|CLAIMS|REFMAP)_$/.test(key)) {
      throw new InvalidKeyError(
        shorten(key),
        "not a lattice storage key: expected LINKDEF_<id>, CLAIMS_<sub> or REFMAP_<base64url OCI reference>",
      );
    }
    return collection;
  });
}

/**
 * Validates `input` as the write path will — schema, key, encoded size against `maxValueBytes` — and returns
 * the normalized value. Throws `InvalidEntryError`/`InvalidKeyError`/`ValueTooLargeError` (exit code 2).
 */
export function checkedValue<V, R>(codec: CollectionCodec<V, R>, input: unknown, maxValueBytes: number): V {
  return checked(() => {
    const value = codec.parse(input);
    const key = codec.keyOfValue(value);
    assertKeyLength(key);
    assertKeySafe(key);
    const size = codec.encode(value).byteLength;
    if (size > maxValueBytes) throw new ValueTooLargeError(shorten(key), size, maxValueBytes);
    return value;
  });
}

function assertKeyLength(key: string, what = "the key"): void {
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidKeyError(
      shorten(key),
      `${what} is ${bytes} bytes, over the ${MAX_KEY_BYTES} bytes a NATS subject token can safely carry`,
    );
  }
}

/**
 * Runs a check, turning its typed error into a `UsageError` whose message says what to fix — and never
 * echoes a huge input back in full.
 */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ValueTooLargeError) {
      throw new UsageError(
        `${error.message} (maxValueBytes; raise it with --max-value-bytes or LATTICE_MAX_VALUE_BYTES); nothing was sent`,
        { cause: error },
      );
    }
    if (LatticeCacheError.isInstance(error)) {
      throw new UsageError(`${shorten(error.message, 400)}; nothing was sent`, { cause: error });
    }
    throw error;
  }
}

/** `text`, cut to `max` characters with a note of how long it was. */
export function shorten(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
