// A consistent snapshot of a lattice in bounded memory, read from the backend's own feed (no replica: a replica
// holds every value in memory). The feed starts at revision 0; every change it delivers is spooled to disk and
// only each key's latest revision is kept in memory (key-table.ts); `synced` ends it, and the snapshot's revision
// is the highest one applied by then — the rule the replica relies on: after `synced` its state is one the store
// had. A `gap` restarts it. Then the spool is read back once: each key's latest live entry, validated, goes to a
// second spool that the export streams, and that `lattice import` reads one key at a time (the table then keeps
// each live key's offset in it: a key's state costs no heap).
// Rules cited here: docs/semantics.md#rule-8, #rule-9.
import { type CollectionName, collectionOfKey, errorText } from "@lattice-cache/core";
import type {
  BackendEntry,
  BackendHead,
  FeedSubscription,
  LatticeBackend,
} from "@lattice-cache/core/backend";
import { ContentDigest } from "./content-digest.js";
import { KeyTable } from "./key-table.js";
import { Spool } from "./spool.js";
import { SnapshotGapError, SnapshotStalledError } from "./transfer-errors.js";
import { acceptedEntry, entryFromStored, type TransferEntry } from "./transfer-format.js";

/** Key states in the table. */
const SEEN = 1;
const LIVE = 2;
const GONE = 3;
/** The key's latest value is one its collection's codec refuses (the table keeps its revision). */
const INVALID = 4;

/** Options of {@link takeSnapshot}. */
export interface SnapshotOptions {
  /** The collections to keep; other keys are skipped. */
  readonly collections: readonly CollectionName[];
  /** The longest silence of the feed (no change, no `synced`) before giving up, in ms. */
  readonly idleTimeoutMs: number;
  /** Restarts after a `gap` before giving up. Default 2. */
  readonly maxRestarts?: number;
  /** Called as changes arrive, with the count so far (cheap: called for every change). */
  readonly onReceived?: (received: number) => void;
  /** Called when a gap restarts the snapshot. */
  readonly onRestart?: (reason: string, attempt: number) => void;
  /** A stored value its collection's codec refuses: it is left out of the snapshot. */
  readonly onInvalid?: (key: string, reason: string) => void;
  /** Where the spool's temporary directory goes. Default: the OS's. */
  readonly spoolDir?: string;
}

/** A snapshot taken: its position, its contents' counts and digest, and its entries to read once. */
export interface LatticeSnapshot {
  /** The source's revision the snapshot is of. */
  readonly revision: number;
  /** The source's history. */
  readonly epoch: string;
  /** Live entries per collection (every requested collection, 0 when empty). */
  readonly counts: Readonly<Partial<Record<CollectionName, number>>>;
  /** Live entries in all. */
  readonly entries: number;
  /** The content digest of the live entries. */
  readonly digest: string;
  /** Changes the feed delivered (the last attempt). */
  readonly received: number;
  /** Every live entry, each once, in spool order (its value decoded on first use). */
  read(): Generator<TransferEntry>;
  /** Every live entry's key and revision, in spool order. */
  liveKeys(): Generator<{ readonly key: string; readonly revision: number }>;
  /** True when the snapshot holds a live entry under `key`. */
  holds(key: string): boolean;
  /**
   * The latest change of `key`, when its value is there (not deleted): its revision and its bytes in the wire
   * shape — `undefined` bytes when its stored value is one its collection's codec refuses. One file read.
   */
  latest(key: string): KeyState | undefined;
  /** Deletes the spool. */
  remove(): void;
}

/** A key's value in a snapshot (see {@link LatticeSnapshot.latest}). */
export interface KeyState {
  readonly revision: number;
  /** The value in the wire shape; undefined when the stored value is invalid. */
  readonly bytes: Uint8Array | undefined;
}

/**
 * Takes a snapshot of `backend` (opened). Throws `SnapshotGapError` when every attempt ended in a gap,
 * `SnapshotStalledError` when the feed went silent.
 */
export async function takeSnapshot(
  backend: LatticeBackend,
  options: SnapshotOptions,
): Promise<LatticeSnapshot> {
  const wanted = new Set(options.collections);
  const table = new KeyTable();
  const spool = new Spool(options.spoolDir);
  const maxRestarts = options.maxRestarts ?? 2;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const fed = await feed(
          backend,
          options.idleTimeoutMs,
          (entry) => {
            const collection = collectionOfKey(entry.key);
            if (collection === undefined || !wanted.has(collection)) return;
            const { slot, added } = table.insert(entry.key, SEEN, entry.revision);
            if (!added && table.number(slot) >= entry.revision) return;
            table.setNumber(slot, entry.revision);
            spool.append(entry.key, entry.revision, entry.value);
          },
          options.onReceived,
        );
        return survey(table, spool, options, fed);
      } catch (error) {
        if (!(error instanceof FeedGap)) throw error;
        if (attempt > maxRestarts) throw new SnapshotGapError(attempt, error.reason);
        options.onRestart?.(error.reason, attempt);
        table.clear();
        spool.reset();
      }
    }
  } catch (error) {
    spool.remove();
    throw error;
  }
}

/** The feed's end: its head, the highest revision delivered, how many changes came. */
interface Fed {
  readonly head: BackendHead;
  readonly highest: number;
  readonly received: number;
}

class FeedGap extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Runs one feed from revision 0 until `synced` (resolves), a `gap` (`FeedGap`) or a silence (stalled). */
function feed(
  backend: LatticeBackend,
  idleTimeoutMs: number,
  apply: (entry: BackendEntry) => void,
  onReceived: ((received: number) => void) | undefined,
): Promise<Fed> {
  return new Promise<Fed>((resolve, reject) => {
    let done = false;
    let subscription: FeedSubscription | undefined;
    let highest = 0;
    let received = 0;
    let lastHeard = Date.now();
    const finish = (end: () => void) => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      subscription?.close().catch(() => {});
      end();
    };
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastHeard > idleTimeoutMs) {
          finish(() => reject(new SnapshotStalledError(idleTimeoutMs, received)));
        }
      },
      Math.min(1000, idleTimeoutMs),
    );
    try {
      subscription = backend.subscribe(
        { revision: 0 },
        {
          entry(entry) {
            if (done) return;
            lastHeard = Date.now();
            received++;
            if (entry.revision > highest) highest = entry.revision;
            try {
              apply(entry);
            } catch (error) {
              finish(() => reject(error));
              return;
            }
            onReceived?.(received);
          },
          synced(head) {
            finish(() => resolve({ head, highest: Math.max(highest, head.revision), received }));
          },
          gap(reason) {
            finish(() => reject(new FeedGap(reason)));
          },
          connection() {
            lastHeard = Date.now();
          },
        },
      );
      if (done) subscription.close().catch(() => {});
    } catch (error) {
      finish(() =>
        reject(new Error(`cannot read the backend's feed: ${errorText(error)}`, { cause: error })),
      );
    }
  });
}

/**
 * Reads the spool once: which keys are live, their counts and digest. Each live entry is validated here, once,
 * and its encoded bytes appended to a second spool that `read` streams without decoding again; the spool of
 * changes is then deleted.
 */
function survey(table: KeyTable, spool: Spool, options: SnapshotOptions, fed: Fed): LatticeSnapshot {
  const counts: Partial<Record<CollectionName, number>> = {};
  for (const name of options.collections) counts[name] = 0;
  const digest = new ContentDigest();
  const live = new Spool(options.spoolDir);
  try {
    for (const change of spool.changes()) {
      const slot = table.find(change.key);
      if (table.state(slot) !== SEEN || table.number(slot) !== change.revision) continue;
      if (change.value === null) {
        table.setState(slot, GONE);
        continue;
      }
      const collection = collectionOfKey(change.key) as CollectionName;
      try {
        const entry = entryFromStored(change.key, collection, change.value);
        digest.add(entry.key, entry.bytes);
        counts[collection] = (counts[collection] ?? 0) + 1;
        table.setState(slot, LIVE);
        table.setNumber(slot, live.append(entry.key, change.revision, entry.bytes));
      } catch (error) {
        table.setState(slot, INVALID);
        options.onInvalid?.(change.key, errorText(error));
      }
    }
  } catch (error) {
    live.remove();
    throw error;
  }
  spool.remove();
  return {
    revision: fed.highest,
    epoch: fed.head.epoch,
    counts,
    entries: digest.entries,
    digest: digest.hex(),
    received: fed.received,
    *read() {
      for (const { key, value } of live.changes()) {
        yield acceptedEntry(key, collectionOfKey(key) as CollectionName, value as Buffer);
      }
    },
    *liveKeys() {
      for (const { key, revision } of live.changes()) yield { key, revision };
    },
    holds(key) {
      const slot = table.find(key);
      return slot >= 0 && table.state(slot) === LIVE;
    },
    latest(key) {
      const slot = table.find(key);
      if (slot < 0) return undefined;
      const state = table.state(slot);
      if (state === INVALID) return { revision: table.number(slot), bytes: undefined };
      if (state !== LIVE) return undefined;
      const { revision, value } = live.readAt(table.number(slot));
      return { revision, bytes: value as Buffer };
    },
    remove: () => live.remove(),
  };
}
