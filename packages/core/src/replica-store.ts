// The replica's maps: live entries, tombstones, secondary indexes, per-collection counts and the digest.
// Rules cited here: docs/semantics.md#rule-1, #rule-6, #rule-9, #rule-11.
import type { BackendEntry } from "./backend.js";
import { sameBytes } from "./bytes.js";
import type { CollectionValues, LatticeChange } from "./change-event.js";
import { claimsCodec } from "./claims.js";
import type { CollectionCodec } from "./collection-codec.js";
import { shouldApply } from "./conflict-rules.js";
import { type EntryHash, entryHash, SetDigest } from "./digest.js";
import { deepFreeze } from "./frozen-value.js";
import { COLLECTION_NAMES, type CollectionName, collectionOfKey } from "./keys.js";
import { type LinkDefinition, linkdefsCodec } from "./linkdefs.js";
import { NaturalKeyIndex } from "./natural-key-index.js";
import { refmapsCodec } from "./refmaps.js";

/** The codec of each collection. */
export const CODECS: { readonly [C in CollectionName]: CollectionCodec<CollectionValues[C], unknown> } = {
  linkdefs: linkdefsCodec as CollectionCodec<CollectionValues["linkdefs"], unknown>,
  claims: claimsCodec as CollectionCodec<CollectionValues["claims"], unknown>,
  refmaps: refmapsCodec as CollectionCodec<CollectionValues["refmaps"], unknown>,
};

/** A live entry as the replica holds it. */
export interface StoredEntry {
  readonly collection: CollectionName;
  readonly value: unknown;
  readonly revision: number;
  readonly origin: string | undefined;
  /** Rule-2 digest contribution; computed lazily (hydration does not pay for hashing). */
  hash: EntryHash | undefined;
}

/** What applying one backend entry did. */
export type ApplyOutcome =
  | { readonly kind: "changed"; readonly event: LatticeChange }
  | { readonly kind: "ignored" }
  | { readonly kind: "foreign" }
  /** Applied by `load`, which builds no event. */
  | { readonly kind: "loaded" }
  /** A value that failed validation; `event` is the delete of the value it replaced, if any (rule 11). */
  | { readonly kind: "invalid"; readonly error: unknown; readonly event?: LatticeChange };

const LOADED: ApplyOutcome = Object.freeze({ kind: "loaded" });

/** One secondary index: index value → keys. */
interface SecondaryIndex {
  /**
   * Built on the first lookup, then maintained: a cold start (hydration) pays nothing for indexes, and an
   * index no caller uses costs no memory.
   */
  built: boolean;
  readonly name: string;
  readonly indexValueOf: (value: unknown) => string | undefined;
  readonly keysByValue: Map<string, Set<string>>;
}

/** A deleted key as the replica holds it (rule 6): the delete's revision and when it was written. */
interface Tombstone {
  readonly revision: number;
  /** ms since the epoch: the backend's write time (`BackendEntry.writtenAt`) or, without one, when applied. */
  readonly at: number;
}

/** Interns repeated origin strings so 100k entries from 3 hosts hold 3 strings, not 100k. */
const origins = new Map<string, string>();
function intern(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  const seen = origins.get(origin);
  if (seen !== undefined) return seen;
  if (origins.size < 10_000) origins.set(origin, origin);
  return origin;
}

/** The materialized view of one replica. Not thread-safe by design: Node runs it on one thread. */
export class ReplicaStore {
  private readonly live = new Map<string, StoredEntry>();
  private readonly tombstones = new Map<string, Tombstone>();
  /**
   * The highest revision among pruned tombstones: a change at or below it for a key the store knows nothing
   * of is a replay of something older than a delete that was pruned, and never brings the key back (rule 6).
   */
  private prunedUpTo = 0;
  /** Revisions of entries that failed validation, so conditional writes can still name the key's revision. */
  private readonly invalidRevisions = new Map<string, number>();
  private readonly indexes = {} as Record<CollectionName, readonly SecondaryIndex[]>;
  private readonly counts: Record<CollectionName, number> = { linkdefs: 0, claims: 0, refmaps: 0 };
  private readonly digestSet = new SetDigest();
  /**
   * Live link definitions by natural key (actor, contract, link name), so a `get` skips hashing. Built on the
   * first such lookup, then maintained (like the secondary indexes).
   */
  private linkdefsByRef: NaturalKeyIndex<StoredEntry> | undefined;
  /** Live entries not hashed into the digest yet. */
  private unhashed = 0;
  /** The highest revision among entries held (live or tombstone). */
  maxRevision = 0;

  constructor() {
    for (const name of COLLECTION_NAMES) {
      const fns = CODECS[name].indexes as Record<string, (value: unknown) => string | undefined>;
      this.indexes[name] = Object.entries(fns).map(([indexName, indexValueOf]) => ({
        built: false,
        name: indexName,
        indexValueOf,
        keysByValue: new Map(),
      }));
    }
  }

  /**
   * Applies one entry under rule 1 (ignore ≤ current), rule 6 (tombstones) and rule 11 (validate: a bad
   * value is never stored, but it is the key's newest change — the value it replaces is gone, and the key
   * reads as absent until a valid value arrives).
   */
  apply(entry: BackendEntry, decoded?: unknown): ApplyOutcome {
    return this.applyEntry(entry, decoded, true);
  }

  /**
   * Applies one entry like {@link apply}, building no events (a snapshot being staged emits none: the
   * replica diffs the staged store against its current one once it is complete).
   */
  load(entry: BackendEntry): ApplyOutcome {
    return this.applyEntry(entry, undefined, false);
  }

  private applyEntry(entry: BackendEntry, decoded: unknown, withEvents: boolean): ApplyOutcome {
    const collection = collectionOfKey(entry.key);
    if (collection === undefined) return { kind: "foreign" };
    const current = this.revisionOf(entry.key);
    if (!shouldApply(current, entry.revision)) return { kind: "ignored" };
    if (current === undefined && entry.revision <= this.prunedUpTo) return { kind: "ignored" };
    const previous = this.live.get(entry.key);
    if (entry.value === null) {
      if (entry.revision > this.maxRevision) this.maxRevision = entry.revision;
      this.invalidRevisions.delete(entry.key);
      this.tombstones.set(entry.key, { revision: entry.revision, at: entry.writtenAt ?? Date.now() });
      if (previous) this.remove(entry.key, previous);
      if (!withEvents) return LOADED;
      return {
        kind: "changed",
        event: this.event(collection, entry, "delete", undefined, previous?.value),
      };
    }
    let value = decoded;
    try {
      // An own write arrives already validated and normalized; everything from the wire is decoded (rule 11).
      if (value === undefined) value = CODECS[collection].decode(entry.value, entry.key);
    } catch (error) {
      if (entry.revision > this.maxRevision) this.maxRevision = entry.revision;
      this.invalidRevisions.set(entry.key, entry.revision);
      this.tombstones.delete(entry.key);
      if (!previous) return { kind: "invalid", error };
      this.remove(entry.key, previous);
      if (!withEvents) return { kind: "invalid", error };
      return {
        kind: "invalid",
        error,
        event: this.event(collection, entry, "delete", undefined, previous.value),
      };
    }
    if (entry.revision > this.maxRevision) this.maxRevision = entry.revision;
    this.invalidRevisions.delete(entry.key);
    this.tombstones.delete(entry.key);
    // The one place values enter the store: frozen here, they can be handed out without a copy.
    deepFreeze(value);
    const stored: StoredEntry = {
      collection,
      value,
      revision: entry.revision,
      origin: intern(entry.origin),
      hash: undefined,
    };
    if (previous) this.replace(entry.key, previous, stored);
    else this.insert(entry.key, stored);
    if (!withEvents) return LOADED;
    return { kind: "changed", event: this.event(collection, entry, "put", value, previous?.value) };
  }

  /** The key's latest known revision: live, tombstone, or a skipped invalid value. */
  revisionOf(key: string): number | undefined {
    // On the hot path of every apply: no temporary arrays.
    let best = this.live.get(key)?.revision;
    const dead = this.tombstones.get(key)?.revision;
    if (dead !== undefined && (best === undefined || dead > best)) best = dead;
    if (this.invalidRevisions.size > 0) {
      const invalid = this.invalidRevisions.get(key);
      if (invalid !== undefined && (best === undefined || invalid > best)) best = invalid;
    }
    return best;
  }

  /**
   * True when the key's newest change is `entry`: its revision, and its value (or its deletion). `decoded`,
   * the value `entry` was encoded from, settles it without encoding when the store holds that very object
   * (an own write whose feed echo reused it).
   */
  holds(entry: BackendEntry, decoded?: unknown): boolean {
    if (entry.value === null)
      return this.isDeleted(entry.key) && this.tombstones.get(entry.key)?.revision === entry.revision;
    const stored = this.live.get(entry.key);
    if (stored === undefined || stored.revision !== entry.revision) return false;
    if (decoded !== undefined && stored.value === decoded) return true;
    const codec = CODECS[stored.collection] as CollectionCodec<unknown, unknown>;
    return sameBytes(codec.encode(stored.value), entry.value);
  }

  /** True if the key's newest revision is a tombstone. */
  isDeleted(key: string): boolean {
    return this.tombstones.has(key) && !this.live.has(key);
  }

  /**
   * Drops the tombstones written before `cutoffMs` (ms since the epoch) and returns how many. Nothing
   * readable changes — no event, the same digest — but a pruned key has no revision any more
   * (`revisionOf` is undefined, so a conditional write with `expectedRevision: 0` builds on it), and a
   * replayed change at or below a pruned revision still never brings the key back (rule 6).
   */
  pruneTombstones(cutoffMs: number): number {
    let pruned = 0;
    for (const [key, tombstone] of this.tombstones) {
      if (tombstone.at >= cutoffMs) continue;
      this.tombstones.delete(key);
      if (tombstone.revision > this.prunedUpTo) this.prunedUpTo = tombstone.revision;
      pruned += 1;
    }
    return pruned;
  }

  /** The live entry under a key. */
  get(key: string): StoredEntry | undefined {
    return this.live.get(key);
  }

  /** The live link definition with the natural key (actor, contract, link name), found without hashing. */
  linkdefByRef(actor: string, contract: string, link: string): StoredEntry | undefined {
    return (this.linkdefsByRef ?? this.buildLinkdefsByRef()).get(actor, contract, link);
  }

  private buildLinkdefsByRef(): NaturalKeyIndex<StoredEntry> {
    const index = new NaturalKeyIndex<StoredEntry>();
    for (const [, stored] of this.entriesOf("linkdefs")) setByRef(index, stored);
    this.linkdefsByRef = index;
    return index;
  }

  /** Live keys and entries of one collection. */
  *entriesOf(collection: CollectionName): IterableIterator<[string, StoredEntry]> {
    for (const pair of this.live) if (pair[1].collection === collection) yield pair;
  }

  /** Keys of one collection whose index `indexName` has value `indexValue`. */
  find(collection: CollectionName, indexName: string, indexValue: string): readonly string[] {
    const index = this.indexes[collection].find((i) => i.name === indexName);
    if (!index) return [];
    if (!index.built) this.build(collection, index);
    const keys = index.keysByValue.get(indexValue);
    return keys ? [...keys] : [];
  }

  /** Number of live entries per collection. */
  countsByCollection(): Record<CollectionName, number> {
    return { ...this.counts };
  }

  /** Number of tombstones held (deleted keys not pruned yet). */
  get tombstoneCount(): number {
    return this.tombstones.size;
  }

  /** Keys whose newest value failed validation (they read as absent). */
  get invalidKeys(): number {
    return this.invalidRevisions.size;
  }

  /** Number of live entries. */
  get size(): number {
    return this.live.size;
  }

  /**
   * The rule-2 digest of the live set. Each entry is hashed over its key, revision and canonical encoding
   * the first time a digest is asked for after it arrived, so replicas that decoded the same values agree.
   */
  digest(): string {
    if (this.unhashed > 0) {
      for (const [key, stored] of this.live) if (stored.hash === undefined) this.hashEntry(key, stored);
      this.unhashed = 0;
    }
    return this.digestSet.hex();
  }

  private hashEntry(key: string, stored: StoredEntry): void {
    const codec = CODECS[stored.collection] as CollectionCodec<unknown, unknown>;
    stored.hash = entryHash(key, stored.revision, codec.encode(stored.value));
    this.digestSet.toggle(stored.hash);
  }

  /**
   * The changes that turn `this` into `next`, as events (for a resync, rule 9): puts for new or
   * changed entries — a value at the same revision counts as changed when it is another value (a history
   * lost and written again reuses revisions) — and deletes for entries `next` no longer holds.
   */
  diffTo(next: ReplicaStore): LatticeChange[] {
    const events: LatticeChange[] = [];
    for (const [key, after] of next.live) {
      const before = this.live.get(key);
      if (before && before.revision === after.revision && sameValue(after.collection, before, after))
        continue;
      events.push(
        makeEvent(after.collection, key, "put", after.value, before?.value, after.revision, after.origin),
      );
    }
    for (const [key, before] of this.live) {
      if (next.live.has(key)) continue;
      const revision = next.tombstones.get(key)?.revision ?? next.maxRevision;
      events.push(makeEvent(before.collection, key, "delete", undefined, before.value, revision, undefined));
    }
    return events.sort((x, y) => x.revision - y.revision);
  }

  private insert(key: string, stored: StoredEntry): void {
    this.live.set(key, stored);
    this.counts[stored.collection] += 1;
    this.unhashed += 1;
    this.reindex(key, stored, "add");
    if (this.linkdefsByRef && stored.collection === "linkdefs") setByRef(this.linkdefsByRef, stored);
  }

  private remove(key: string, stored: StoredEntry): void {
    this.live.delete(key);
    this.counts[stored.collection] -= 1;
    if (stored.hash) this.digestSet.toggle(stored.hash);
    this.reindex(key, stored, "delete");
    if (this.linkdefsByRef && stored.collection === "linkdefs") {
      const { actor_id, contract_id, link_name } = stored.value as LinkDefinition;
      this.linkdefsByRef.delete(actor_id, contract_id, link_name);
    }
  }

  /** Swaps a live entry for a newer one; index entries move only when their index value changed. */
  private replace(key: string, previous: StoredEntry, stored: StoredEntry): void {
    this.live.set(key, stored);
    this.unhashed += 1;
    if (previous.hash) this.digestSet.toggle(previous.hash);
    // The same key is the same natural key (the key is its hash): only the entry under it changes.
    if (this.linkdefsByRef && stored.collection === "linkdefs") setByRef(this.linkdefsByRef, stored);
    for (const index of this.indexes[stored.collection]) {
      if (!index.built) continue;
      const before = index.indexValueOf(previous.value);
      const after = index.indexValueOf(stored.value);
      if (before === after) continue;
      if (before !== undefined) this.unindex(index, before, key);
      if (after !== undefined) this.index(index, after, key);
    }
  }

  private build(collection: CollectionName, index: SecondaryIndex): void {
    for (const [key, stored] of this.entriesOf(collection)) {
      const indexValue = index.indexValueOf(stored.value);
      if (indexValue !== undefined) this.index(index, indexValue, key);
    }
    index.built = true;
  }

  private index(index: SecondaryIndex, indexValue: string, key: string): void {
    let keys = index.keysByValue.get(indexValue);
    if (!keys) {
      keys = new Set();
      index.keysByValue.set(indexValue, keys);
    }
    keys.add(key);
  }

  private unindex(index: SecondaryIndex, indexValue: string, key: string): void {
    const keys = index.keysByValue.get(indexValue);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) index.keysByValue.delete(indexValue);
  }

  private reindex(key: string, stored: StoredEntry, op: "add" | "delete"): void {
    for (const index of this.indexes[stored.collection]) {
      if (!index.built) continue;
      const indexValue = index.indexValueOf(stored.value);
      if (indexValue === undefined) continue;
      if (op === "add") this.index(index, indexValue, key);
      else this.unindex(index, indexValue, key);
    }
  }

  private event(
    collection: CollectionName,
    entry: BackendEntry,
    operation: "put" | "delete",
    value: unknown,
    previous: unknown,
  ): LatticeChange {
    return makeEvent(collection, entry.key, operation, value, previous, entry.revision, entry.origin);
  }
}

/** Files a stored link definition under its natural key. */
function setByRef(index: NaturalKeyIndex<StoredEntry>, stored: StoredEntry): void {
  const { actor_id, contract_id, link_name } = stored.value as LinkDefinition;
  index.set(actor_id, contract_id, link_name, stored);
}

/** True when two stored entries of one collection hold the same value (compared by canonical encoding). */
function sameValue(collection: CollectionName, a: StoredEntry, b: StoredEntry): boolean {
  if (a.value === b.value) return true;
  if (a.collection !== b.collection) return false;
  const codec = CODECS[collection] as CollectionCodec<unknown, unknown>;
  return sameBytes(codec.encode(a.value), codec.encode(b.value));
}

function makeEvent(
  collection: CollectionName,
  key: string,
  operation: "put" | "delete",
  value: unknown,
  previous: unknown,
  revision: number,
  origin: string | undefined,
): LatticeChange {
  // One event object reaches every listener and watcher: none may change it for the others.
  return Object.freeze({ collection, key, operation, value, previous, revision, origin }) as LatticeChange;
}
