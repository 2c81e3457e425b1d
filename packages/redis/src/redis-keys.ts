// The Redis key layout of one lattice. Every key carries the same hash tag, so a lattice lives in one
// Redis Cluster slot and the Lua scripts may touch all of its keys at once.
import { ConfigurationError } from "@lattice-cache/core/backend";
import { PREFIX_TEXT } from "@lattice-cache/plugin";

/** The Redis keys that hold one lattice. */
export interface RedisKeyLayout {
  /** The hash tag shared by every key, `{lattice:<prefix>}`. */
  readonly tag: string;
  /**
   * Hash: field = storage key (`LINKDEF_…`, `CLAIMS_…`, `REFMAP_…`), value = an entry record (the value bytes
   * or a tombstone, its revision and origin; see `encodeEntryRecord`). Tombstones stay, so deletes have revisions.
   */
  readonly entries: string;
  /** String counter: the lattice's latest revision, bumped by every write (INCR semantics). */
  readonly revision: string;
  /** String: a random id of the current history. Gone after a restart without persistence → new epoch → resync. */
  readonly epoch: string;
  /** Stream: the change log, one entry per write with the explicit id `<revision>-0`, trimmed to `MAXLEN ~ N`. */
  readonly changes: string;
}

/**
 * The key layout of the lattice `prefix` (wasmCloud's lattice prefix, default `default`):
 * `{lattice:<prefix>}:entries`, `:revision`, `:epoch`, `:changes`.
 *
 * @throws ConfigurationError when the prefix is no lattice prefix (the one rule: `PREFIX_TEXT`, which never
 * lets a hash-tag brace in).
 */
export function redisKeys(prefix: string): RedisKeyLayout {
  if (typeof prefix !== "string" || !PREFIX_TEXT.pattern.test(prefix)) {
    throw new ConfigurationError(
      `prefix may only contain ${PREFIX_TEXT.patternText} (got ${JSON.stringify(prefix)})`,
      { field: "prefix" },
    );
  }
  const tag = `{lattice:${prefix}}`;
  return {
    tag,
    entries: `${tag}:entries`,
    revision: `${tag}:revision`,
    epoch: `${tag}:epoch`,
    changes: `${tag}:changes`,
  };
}
