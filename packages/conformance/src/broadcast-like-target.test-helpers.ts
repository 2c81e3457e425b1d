// A memory store behind a backend that promises what the generation-1 broadcast promises and refuses what it
// refuses, so the suite's unordered branches are checked here without a nats-server (legacy runs the real one).
// Rules cited here: docs/semantics.md#rule-6.
import {
  type CollectionName,
  claimsCodec,
  collectionOfKey,
  InvalidKeyError,
  linkdefsCodec,
  MemoryBackend,
  refmapsCodec,
  UnsupportedOperationError,
} from "@lattice-cache/core";
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendHead,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  type LatticeBackend,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core/backend";
import type { ConformanceTarget } from "./conformance-target.js";
import { memoryStore } from "./memory-target.test-helpers.js";

/** How a `BroadcastLikeBackend` behaves beyond the broadcast's own refusals. */
export interface BroadcastLikeOptions {
  /**
   * Broken on purpose: acknowledge a claims/refmaps delete without storing it, so only the writer's replica
   * forgets the key (the silent split brain rule 6 guards against). Default false.
   */
  readonly fakesUndeletableDeletes?: boolean;
}

/** What the broadcast can carry: typed values, decodable by their collection's codec. */
const DECODERS: Readonly<Record<CollectionName, (bytes: Uint8Array, key: string) => unknown>> = {
  linkdefs: (bytes, key) => linkdefsCodec.decode(bytes, key),
  claims: (bytes, key) => claimsCodec.decode(bytes, key),
  refmaps: (bytes, key) => refmapsCodec.decode(bytes, key),
};

/**
 * Unordered, no compare-and-swap, no history — and like generation 1: no conditional writes, deletes of
 * link definitions only, no bytes its codecs cannot decode, no keys outside the three collections.
 */
export class BroadcastLikeBackend implements LatticeBackend {
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  readonly name = "broadcast-like-memory";
  readonly capabilities: BackendCapabilities = {
    ordered: false,
    durable: false,
    compareAndSwap: false,
    history: false,
    ttl: false,
    // Core NATS publishes each message to every subscriber as it is sent, as the memory store underneath does.
    pushed: true,
    revisionsRestart: false,
  };

  constructor(
    private readonly inner: MemoryBackend,
    private readonly options: BroadcastLikeOptions = {},
  ) {}

  open(): Promise<void> {
    return this.inner.open();
  }

  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    return this.inner.subscribe(from, sink);
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    if (request.expectedRevision !== undefined) {
      throw new UnsupportedOperationError("conditional writes (expectedRevision)", this.name);
    }
    const collection = collectionOfKey(request.key);
    if (collection === undefined) {
      throw new InvalidKeyError(request.key, "not a key of linkdefs, claims or refmaps");
    }
    if (request.value === null && collection !== "linkdefs") {
      if (this.options.fakesUndeletableDeletes) return { revision: (await this.inner.head()).revision + 1 };
      throw new UnsupportedOperationError(`deleting ${collection}`, this.name);
    }
    // Throws InvalidEntryError for what a typed message cannot carry.
    if (request.value !== null) DECODERS[collection](request.value, request.key);
    return this.inner.write(request);
  }

  head(): Promise<BackendHead> {
    return this.inner.head();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A fresh memory store per test behind broadcast-like backends, with the partition switch legacy has too. */
export function broadcastLikeTarget(options: BroadcastLikeOptions = {}): ConformanceTarget {
  return {
    name: options.fakesUndeletableDeletes ? "broadcast-like memory (fakes deletes)" : "broadcast-like memory",
    newStore: async () => {
      const store = memoryStore();
      return {
        connect: () => new BroadcastLikeBackend(new MemoryBackend(store.memory), options),
        backdoor: {
          readRaw: store.backdoor.readRaw,
          disconnect: store.backdoor.disconnect,
          reconnect: store.backdoor.reconnect,
        },
        dispose: store.dispose,
      };
    },
  };
}
