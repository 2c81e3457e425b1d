// Deliberately broken backends (memory underneath): the suite must fail loudly on each of them.
import { type CompactionReport, MemoryBackend, type MemoryStore } from "@lattice-cache/core";
import type {
  BackendCapabilities,
  BackendEntry,
  BackendHead,
  CompactionRequest,
  FeedPosition,
  FeedSink,
  FeedSubscription,
  LatticeBackend,
  WriteRequest,
  WriteResult,
} from "@lattice-cache/core/backend";
import { interruptConnection, storeRaw } from "@lattice-cache/core/testing";
import type { ConformanceTarget } from "./conformance-target.js";
import { ForwardingBackend } from "./forwarding-backend.js";
import { memoryStore } from "./memory-target.test-helpers.js";

/** A MemoryBackend wrapper whose subclasses break one promise of the contract. */
class BrokenBackend extends ForwardingBackend<MemoryBackend> {
  override get name(): string {
    return "broken-memory";
  }
}

/** (a) Claims compareAndSwap but ignores `expectedRevision`: every conditional write goes through. */
class IgnoresExpectedRevision extends BrokenBackend {
  override write(request: WriteRequest): Promise<WriteResult> {
    return this.inner.write({ ...request, expectedRevision: undefined });
  }
}

/** (b) Silently drops the second live change of every feed. */
class DropsOneLiveChange extends BrokenBackend {
  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    let synced = false;
    let live = 0;
    return this.inner.subscribe(from, {
      ...bound(sink),
      synced: (head) => {
        synced = true;
        sink.synced(head);
      },
      entry: (entry) => {
        if (synced && ++live === 2) return;
        sink.entry(entry);
      },
    });
  }
}

/**
 * (c) Stores garbage but echoes the real bytes on its feeds: every replica looks right, only the backdoor
 * shows what was stored.
 */
class StoresGarbage extends BrokenBackend {
  constructor(
    inner: MemoryBackend,
    private readonly echoes: Map<number, Uint8Array | null>,
  ) {
    super(inner);
  }

  override async write(request: WriteRequest): Promise<WriteResult> {
    const garbage = request.value === null ? null : new TextEncoder().encode('{"garbage":true}');
    const result = await this.inner.write({ ...request, value: garbage });
    this.echoes.set(result.revision, request.value);
    return result;
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    return this.inner.subscribe(from, {
      ...bound(sink),
      entry: (entry: BackendEntry) =>
        sink.entry(
          this.echoes.has(entry.revision)
            ? { ...entry, value: this.echoes.get(entry.revision) ?? null }
            : entry,
        ),
    });
  }
}

/** (d) Never reports synced when the snapshot is empty: ready() never resolves on an empty store. */
class NeverSyncsEmpty extends BrokenBackend {
  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    let delivered = 0;
    return this.inner.subscribe(from, {
      ...bound(sink),
      entry: (entry) => {
        delivered += 1;
        sink.entry(entry);
      },
      synced: (head) => {
        if (delivered > 0) sink.synced(head);
      },
    });
  }
}

/**
 * (f) Swaps the values of the first two live changes to a key on its feeds (the store is untouched): each
 * revision arrives with the other write's value. Everything after the held change waits with it, so the
 * feed stays in revision order. Deterministic, so the rule-1 test must catch it on every run.
 */
class SwapsLiveValues extends BrokenBackend {
  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    let synced = false;
    const swapped = new Set<string>();
    // The first live change of a key (and what came after it), until the key's next change arrives.
    let held: BackendEntry[] | undefined;
    return this.inner.subscribe(from, {
      ...bound(sink),
      synced: (head) => {
        synced = true;
        sink.synced(head);
      },
      entry: (entry) => {
        if (!synced) {
          sink.entry(entry);
          return;
        }
        const first = held?.[0];
        if (held === undefined || first === undefined) {
          if (entry.value !== null && !swapped.has(entry.key)) held = [entry];
          else sink.entry(entry);
          return;
        }
        if (entry.key !== first.key || entry.value === null) {
          held.push(entry);
          return;
        }
        const between = held.slice(1);
        held = undefined;
        swapped.add(entry.key);
        sink.entry({ ...first, value: entry.value });
        for (const e of between) sink.entry(e);
        sink.entry({ ...entry, value: first.value });
      },
    });
  }
}

/**
 * (g) Declares a pushed feed, but its feeds only poll: live changes are held and released once a second.
 * Correct in every other respect, so only the latency bound of a pushed feed catches it.
 */
class PollsOnceASecond extends BrokenBackend {
  override get capabilities(): BackendCapabilities {
    return { ...this.inner.capabilities, pushed: true };
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    let synced = false;
    const held: BackendEntry[] = [];
    const poll = setInterval(() => {
      for (const entry of held.splice(0)) sink.entry(entry);
    }, 1000);
    poll.unref();
    const subscription = this.inner.subscribe(from, {
      ...bound(sink),
      synced: (head) => {
        synced = true;
        sink.synced(head);
      },
      entry: (entry) => {
        if (synced) held.push(entry);
        else sink.entry(entry);
      },
    });
    return {
      close: async () => {
        clearInterval(poll);
        await subscription.close();
      },
    };
  }
}

/**
 * (h) Delivers a snapshot with a cursor (SCAN-like) and, when its connection was cut mid-snapshot, resumes
 * it in place after the reconnect — even when the store meanwhile lost its history: the replica gets the
 * old history's first entries and the new history's rest, then `synced`, and no gap.
 */
class ResumesSnapshotInPlace extends BrokenBackend {
  private cut = false;
  private readonly resumes = new Set<() => void>();

  constructor(
    inner: MemoryBackend,
    private readonly store: MemoryStore,
  ) {
    super(inner);
  }

  /** The backdoor's `interruptFeed` for this backend: cut, or restore and resume every paused snapshot. */
  interrupt(cut: boolean): void {
    this.cut = cut;
    interruptConnection(this.inner, cut);
    if (!cut) for (const resume of [...this.resumes]) resume();
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    if (from.revision !== 0) return this.inner.subscribe(from, sink);
    let cursor = 0;
    let closed = false;
    let live: FeedSubscription | undefined;
    const pump = () => {
      if (closed || this.cut) return;
      const entries = this.store.snapshot();
      while (cursor < entries.length) {
        if (closed || this.cut) return;
        sink.entry(entries[cursor++] as BackendEntry);
      }
      this.resumes.delete(pump);
      const head: BackendHead = { revision: this.store.revision, epoch: this.store.epoch };
      sink.synced(head);
      live = this.inner.subscribe(head, { ...bound(sink), synced: () => {} });
    };
    this.resumes.add(pump);
    queueMicrotask(pump);
    return {
      close: async () => {
        closed = true;
        this.resumes.delete(pump);
        await live?.close();
      },
    };
  }
}

/** (i) Compacts, but ignores the cutoff: every delete marker goes, however young (a replica may not have it yet). */
class CompactsYoungMarkers extends BrokenBackend {
  read(key: string): Promise<BackendEntry | undefined> {
    return this.inner.read(key);
  }

  async compactTombstones(request: CompactionRequest): Promise<CompactionReport> {
    // Past the youngest marker by a few ms, whatever the request says.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.inner.compactTombstones({ ...request, olderThanMs: 1 });
  }
}

/** The key under which a `SharesARevisionCounter` store holds what other stores' writes used of its counter. */
const NEIGHBOURS_KEY = "NEIGHBOURS_REVISION";

/**
 * (j) A store whose revision counter the target's other stores share, as etcd's cluster-wide revision is
 * shared by every prefix: a write to one store uses up a revision in every other open one (held there under a
 * key no feed shows, as a watch on a prefix shows nothing of another). Its feeds read the log as contiguous,
 * so a revision used up by a neighbour looks like lost changes: a gap, and every replica resyncs. The resync
 * heals it, and nothing jumps while a test writes to one store only — so only a test that writes to two
 * stores and counts resyncs notices.
 */
class SharesARevisionCounter extends BrokenBackend {
  constructor(
    inner: MemoryBackend,
    private readonly neighbours: () => Iterable<MemoryStore>,
  ) {
    super(inner);
  }

  override async write(request: WriteRequest): Promise<WriteResult> {
    const result = await this.inner.write(request);
    const used = new TextEncoder().encode("a revision another store used");
    for (const store of this.neighbours()) storeRaw(store, NEIGHBOURS_KEY, used);
    return result;
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    let last: number | undefined;
    let gapped = false;
    return this.inner.subscribe(from, {
      ...bound(sink),
      synced: (head) => {
        last = head.revision;
        sink.synced(head);
      },
      entry: (entry) => {
        if (entry.key === NEIGHBOURS_KEY || gapped) return;
        if (last !== undefined && entry.revision !== last + 1) {
          gapped = true;
          sink.gap(`the log jumped from revision ${last} to ${entry.revision}: changes were lost`);
          return;
        }
        if (last !== undefined) last = entry.revision;
        sink.entry(entry);
      },
    });
  }
}

function bound(sink: FeedSink): FeedSink {
  return {
    entry: (e) => sink.entry(e),
    synced: (h) => sink.synced(h),
    gap: (r) => sink.gap(r),
    check: (r) => sink.check?.(r),
    connection: (c, d) => sink.connection(c, d),
  };
}

/** The broken behaviours. */
export type Breakage =
  | "ignores-expected-revision"
  | "drops-one-live-change"
  | "stores-garbage"
  | "never-syncs-empty"
  | "swaps-live-values"
  | "polls-once-a-second"
  | "resumes-snapshot-in-place"
  | "compacts-young-markers"
  | "shares-a-revision-counter";

/** A target whose backends are memory backends broken in one way. */
export function brokenTarget(breakage: Breakage): ConformanceTarget {
  /** The stores not yet disposed: what a shared revision counter is shared with. */
  const openStores = new Set<MemoryStore>();
  return {
    name: `broken memory (${breakage})`,
    newStore: async () => {
      const store = memoryStore();
      openStores.add(store.memory);
      const echoes = new Map<number, Uint8Array | null>();
      const make = (inner: MemoryBackend): BrokenBackend => {
        switch (breakage) {
          case "ignores-expected-revision":
            return new IgnoresExpectedRevision(inner);
          case "drops-one-live-change":
            return new DropsOneLiveChange(inner);
          case "stores-garbage":
            return new StoresGarbage(inner, echoes);
          case "never-syncs-empty":
            return new NeverSyncsEmpty(inner);
          case "swaps-live-values":
            return new SwapsLiveValues(inner);
          case "polls-once-a-second":
            return new PollsOnceASecond(inner);
          case "resumes-snapshot-in-place":
            return new ResumesSnapshotInPlace(inner, store.memory);
          case "compacts-young-markers":
            return new CompactsYoungMarkers(inner);
          case "shares-a-revision-counter":
            return new SharesARevisionCounter(inner, () => [...openStores].filter((m) => m !== store.memory));
        }
      };
      const unwrapped = (backend: LatticeBackend) =>
        backend instanceof BrokenBackend ? backend.inner : backend;
      return {
        ...store,
        connect: () => make(new MemoryBackend(store.memory)),
        backdoor: {
          ...store.backdoor,
          interruptFeed: async (backend, cut) => {
            if (backend instanceof ResumesSnapshotInPlace) backend.interrupt(cut);
            else await store.backdoor.interruptFeed!(unwrapped(backend), cut);
          },
          stallFeed: (backend, stalled) => store.backdoor.stallFeed!(unwrapped(backend), stalled),
        },
        dispose: async () => {
          openStores.delete(store.memory);
          await store.dispose();
        },
      };
    },
  };
}
