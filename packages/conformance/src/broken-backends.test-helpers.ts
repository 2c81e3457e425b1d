// Deliberately broken backends (memory underneath): the suite must fail loudly on each of them.
import type {
  BackendEntry,
  BackendHead,
  FeedSink,
  FeedSubscription,
  LatticeBackend,
  WriteRequest,
  WriteResult,
} from "@lattice-cache/core";
import { MemoryBackend } from "@lattice-cache/core";
import type { ConformanceTarget } from "./conformance-target.js";
import { memoryStore } from "./memory-target.test-helpers.js";

/** A MemoryBackend wrapper whose subclasses break one promise of the contract. */
class BrokenBackend implements LatticeBackend {
  readonly specificationVersion: LatticeBackend["specificationVersion"];
  readonly name = "broken-memory";
  readonly capabilities: LatticeBackend["capabilities"];

  constructor(readonly inner: MemoryBackend) {
    this.specificationVersion = inner.specificationVersion;
    this.capabilities = inner.capabilities;
  }

  open(): Promise<void> {
    return this.inner.open();
  }
  subscribe(afterRevision: number, sink: FeedSink): FeedSubscription {
    return this.inner.subscribe(afterRevision, sink);
  }
  write(request: WriteRequest): Promise<WriteResult> {
    return this.inner.write(request);
  }
  head(): Promise<BackendHead> {
    return this.inner.head();
  }
  close(): Promise<void> {
    return this.inner.close();
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
  override subscribe(afterRevision: number, sink: FeedSink): FeedSubscription {
    let synced = false;
    let live = 0;
    return this.inner.subscribe(afterRevision, {
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

  override subscribe(afterRevision: number, sink: FeedSink): FeedSubscription {
    return this.inner.subscribe(afterRevision, {
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
  override subscribe(afterRevision: number, sink: FeedSink): FeedSubscription {
    let delivered = 0;
    return this.inner.subscribe(afterRevision, {
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

function bound(sink: FeedSink): FeedSink {
  return {
    entry: (e) => sink.entry(e),
    synced: (h) => sink.synced(h),
    gap: (r) => sink.gap(r),
    connection: (c, d) => sink.connection(c, d),
  };
}

/** The four broken behaviours. */
export type Breakage =
  | "ignores-expected-revision"
  | "drops-one-live-change"
  | "stores-garbage"
  | "never-syncs-empty";

/** A target whose backends are memory backends broken in one way. */
export function brokenTarget(breakage: Breakage): ConformanceTarget {
  return {
    name: `broken memory (${breakage})`,
    newStore: async () => {
      const store = memoryStore();
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
        }
      };
      return {
        ...store,
        connect: () => make(new MemoryBackend(store.memory)),
        backdoor: {
          ...store.backdoor,
          stallFeed: (backend, stalled) =>
            store.backdoor.stallFeed!(backend instanceof BrokenBackend ? backend.inner : backend, stalled),
        },
      };
    },
  };
}
