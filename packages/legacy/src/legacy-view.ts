// What one process heard on the broadcast subjects: the latest value (or tombstone) per key, each stamped
// with a local revision in arrival order (rule 12: the broadcast has no order of its own).
// Rules cited here: docs/semantics.md#rule-12.
import type { CollectionName } from "@lattice-cache/core";
import type { BackendEntry } from "@lattice-cache/core/backend";
import { type LegacyRecord, storageBytesOf } from "./legacy-wire-codec.js";

/** The latest state of one key. */
export interface LegacyViewEntry {
  readonly key: string;
  /** The live value, or `undefined` for a tombstone. */
  readonly record: LegacyRecord | undefined;
  /** The last live value seen (also kept on a tombstone: a generation-1 delete needs the full shape). */
  readonly lastKnown: LegacyRecord | undefined;
  /** Local revision: the position of this change in arrival order. */
  readonly revision: number;
  /** The host that wrote it, when known (own writes). */
  readonly origin: string | undefined;
}

/** The per-key state behind `LegacyBackend`. */
export class LegacyView {
  private readonly entries = new Map<string, LegacyViewEntry>();
  private counter = 0;

  /** The latest local revision assigned (0 when nothing was heard). */
  get revision(): number {
    return this.counter;
  }

  /** The state of a key. */
  get(key: string): LegacyViewEntry | undefined {
    return this.entries.get(key);
  }

  /** True when the key holds a live value equal to `record`. */
  holds(record: LegacyRecord): boolean {
    const current = this.entries.get(record.key)?.record;
    return current !== undefined && Buffer.from(storageBytesOf(current)).equals(storageBytesOf(record));
  }

  /** Stores a live value under a new revision. */
  put(record: LegacyRecord, origin?: string): LegacyViewEntry {
    return this.set({ key: record.key, record, lastKnown: record, revision: 0, origin });
  }

  /** Stores a tombstone under a new revision, remembering the last known shape. */
  delete(key: string, shape: LegacyRecord | undefined, origin?: string): LegacyViewEntry {
    const lastKnown = shape ?? this.entries.get(key)?.lastKnown;
    return this.set({ key, record: undefined, lastKnown, revision: 0, origin });
  }

  /** Live values of one collection. */
  liveRecords(collection: CollectionName): LegacyRecord[] {
    const out: LegacyRecord[] = [];
    for (const entry of this.entries.values()) {
      if (entry.record?.collection === collection) out.push(entry.record);
    }
    return out;
  }

  /** Every key's latest state with a revision above `afterRevision`, in revision order (tombstones included). */
  since(afterRevision: number): LegacyViewEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.revision > afterRevision)
      .sort((a, b) => a.revision - b.revision);
  }

  /** Number of live values. */
  get size(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.record) n++;
    return n;
  }

  private set(entry: LegacyViewEntry): LegacyViewEntry {
    this.counter += 1;
    const stamped = { ...entry, revision: this.counter };
    this.entries.set(entry.key, stamped);
    return stamped;
  }
}

/** A view entry as a feed entry: core's JSON storage bytes, or `null` for a tombstone. */
export function toBackendEntry(entry: LegacyViewEntry): BackendEntry {
  return {
    key: entry.key,
    value: entry.record ? storageBytesOf(entry.record) : null,
    revision: entry.revision,
    ...(entry.origin === undefined ? {} : { origin: entry.origin }),
  };
}
