// One typed collection of a LatticeCache: reads from the replica, writes through the write path.
// Rules cited here: docs/semantics.md#rule-3, #rule-4, #rule-5, #rule-6, #rule-8.
import type { ChangeEvent, CollectionValues } from "./change-event.js";
import type { CollectionCodec } from "./collection-codec.js";
import { NotReadyError } from "./errors.js";
import type { CollectionName } from "./keys.js";
import type { Replica } from "./replica.js";
import type { ReplicaStore } from "./replica-store.js";
import type { ReplicaView } from "./replica-view.js";
import type { ChangeListener, WatchOptions } from "./watch-hub.js";
import type { WriteCoordinator } from "./write-coordinator.js";
import type { UpdateOutcome, WriteOutcome } from "./write-outcome.js";

export type { UpdateOutcome, WriteOutcome } from "./write-outcome.js";

/** Options of a write. */
export interface WriteOptions {
  /**
   * Rule 4: write only if the key's current revision equals this; `0` = the key must not exist.
   * On mismatch the write fails with `ConflictError` and nothing is written.
   */
  readonly expectedRevision?: number;
  /**
   * The history `expectedRevision` was read in (`CacheEntry.epoch`). A revision names a change only in its
   * history: when the backend has lost that history since, the write fails with `ConflictError`
   * (`otherHistory`). Default: the history the replica holds now.
   */
  readonly expectedEpoch?: string;
}

/** A value with its storage key and revision (for conditional writes). */
export interface CacheEntry<V> {
  readonly key: string;
  readonly value: V;
  readonly revision: number;
  /** The host that wrote it, when the backend records it. */
  readonly origin: string | undefined;
  /** The history `revision` belongs to (pass it as `expectedEpoch` with `expectedRevision`). */
  readonly epoch: string | undefined;
}

/**
 * What an `update` function returns: a new value to write, `null` to delete the key, or `undefined` to
 * leave it as it is.
 */
export type UpdateResult<I> = I | null | undefined;

/**
 * A typed collection. Reads (`get`, `list`, finders) are served from the local replica only — no network —
 * and throw `NotReadyError` before the initial sync. Writes go to the backend and resolve once the local
 * replica has applied them.
 *
 * @typeParam C - the collection name
 * @typeParam R - its natural key (what `get` and `delete` take)
 * @typeParam I - what `put` accepts (normalized into the stored shape)
 */
export class CollectionHandle<C extends CollectionName, R, I> {
  /** The replica whose events watchers get; writes go through `writer`. */
  private readonly replica: Replica;
  /** What the replica holds: every read is served from `view.readable`. */
  private readonly view: ReplicaView;

  /** @internal */
  constructor(
    /** The collection's name. */
    readonly name: C,
    protected readonly codec: CollectionCodec<CollectionValues[C], R>,
    protected readonly writer: WriteCoordinator,
  ) {
    this.replica = writer.replica;
    this.view = writer.replica.view;
  }

  /** The value under a natural key, or undefined. Served from memory; allocation-free on the hot path. */
  get(ref: R): CollectionValues[C] | undefined {
    // The hot path of every host: no allocation, no extra calls. A key from `keyOfRef` carries this
    // collection's prefix, so the entry found is necessarily of this collection.
    const store = this.view.readable ?? notReady();
    return store.get(this.codec.keyOfRef(ref))?.value as CollectionValues[C] | undefined;
  }

  /** The value with its key and revision, or undefined — use the revision for conditional writes. */
  getEntry(ref: R): CacheEntry<CollectionValues[C]> | undefined {
    return this.entryByKey(this.codec.keyOfRef(ref));
  }

  /** The entry under a storage key (e.g. `CLAIMS_M…`), or undefined. */
  entryByKey(key: string): CacheEntry<CollectionValues[C]> | undefined {
    const stored = this.readableStore().get(key);
    if (!stored || stored.collection !== this.name) return undefined;
    return {
      key,
      value: stored.value as CollectionValues[C],
      revision: stored.revision,
      origin: stored.origin,
      epoch: this.view.epoch,
    };
  }

  /** Every value in the collection. */
  list(): CollectionValues[C][] {
    return this.entries().map((e) => e.value);
  }

  /** Every entry in the collection, with keys and revisions. */
  entries(): CacheEntry<CollectionValues[C]>[] {
    const out: CacheEntry<CollectionValues[C]>[] = [];
    const epoch = this.view.epoch;
    for (const [key, stored] of this.readableStore().entriesOf(this.name)) {
      out.push({
        key,
        value: stored.value as CollectionValues[C],
        revision: stored.revision,
        origin: stored.origin,
        epoch,
      });
    }
    return out;
  }

  /** Number of entries. */
  get size(): number {
    return this.readableStore().countsByCollection()[this.name];
  }

  /** The storage key of a natural key. */
  keyOf(ref: R): string {
    return this.codec.keyOfRef(ref);
  }

  /** Validates and normalizes input into the stored shape without writing (throws `InvalidEntryError`). */
  normalize(input: I): CollectionValues[C] {
    return this.codec.parse(input);
  }

  /** Creates or replaces a value (rule 3: last writer wins by revision; rule 4 with `expectedRevision`). */
  async put(input: I, options: WriteOptions = {}): Promise<WriteOutcome> {
    const value = this.codec.parse(input);
    const key = this.codec.keyOfValue(value);
    return this.writer.write(
      key,
      this.codec.encode(value),
      options.expectedRevision,
      value,
      options.expectedEpoch,
    );
  }

  /** Deletes a value: writes a tombstone with its own revision (rule 6). */
  async delete(ref: R, options: WriteOptions = {}): Promise<WriteOutcome> {
    return this.writer.write(
      this.codec.keyOfRef(ref),
      null,
      options.expectedRevision,
      undefined,
      options.expectedEpoch,
    );
  }

  /**
   * Rule 5: reads the current value from the replica, applies `fn`, writes with the read revision as
   * `expectedRevision`, and retries on conflict (bounded, with jittered backoff). Concurrent updates from
   * many hosts lose no edit. `fn` may run several times; keep it free of side effects.
   */
  async update(
    ref: R,
    fn: (current: CollectionValues[C] | undefined) => UpdateResult<I>,
  ): Promise<UpdateOutcome<CollectionValues[C]>> {
    const key = this.codec.keyOfRef(ref);
    return this.writer.update<CollectionValues[C]>(key, (current) => {
      const next = fn(current as CollectionValues[C] | undefined);
      if (next === undefined) return undefined;
      if (next === null) return { value: null };
      const value = this.codec.parse(next);
      const nextKey = this.codec.keyOfValue(value);
      if (nextKey !== key) {
        throw new TypeError(`update must keep the natural key: ${key} became ${nextKey}`);
      }
      return { value: this.codec.encode(value), decoded: value };
    });
  }

  /** An async iterator of this collection's changes from now on (each with the previous value). */
  watch(options: Omit<WatchOptions, "collections"> = {}): AsyncIterableIterator<ChangeEvent<C>> {
    return this.replica.hub.iterate({ ...options, collections: [this.name] }) as AsyncIterableIterator<
      ChangeEvent<C>
    >;
  }

  /** Calls `listener` for each change to this collection; returns the function that stops it. */
  onChange(listener: (event: ChangeEvent<C>) => void): () => void {
    return this.replica.hub.listen(listener as ChangeListener, [this.name]);
  }

  /** The replica's store, once the initial sync is done (rule 8); reads never touch the network. */
  protected readableStore(): ReplicaStore {
    return this.view.readable ?? notReady();
  }

  /** Values of the entries whose index `index` equals `value`. */
  protected findBy(index: string, value: string): CollectionValues[C][] {
    const store = this.readableStore();
    const out: CollectionValues[C][] = [];
    for (const key of store.find(this.name, index, value)) {
      const stored = store.get(key);
      if (stored) out.push(stored.value as CollectionValues[C]);
    }
    return out;
  }
}

function notReady(): never {
  throw new NotReadyError();
}
