// The seam a backend implements: an ordered snapshot-then-live feed, and writes with an optional expected revision.
// Rules cited here: docs/semantics.md#rule-1, #rule-4, #rule-5, #rule-6, #rule-8, #rule-9, #rule-10.
import type { CompactionReport, CompactionRequest } from "./compaction.js";

/** The contract version of `LatticeBackend`; an adapter written against another version is refused, not misused. */
export const BACKEND_SPECIFICATION_VERSION = "v1" as const;

/** What a backend can promise. The replica and the conformance suite act on these, nothing else. */
export interface BackendCapabilities {
  /** Revisions are strictly increasing lattice-wide and the feed delivers in revision order (rule 1). */
  readonly ordered: boolean;
  /** An acknowledged write survives a restart of the backend. */
  readonly durable: boolean;
  /** `expectedRevision` is checked atomically with the write (rules 4 and 5). */
  readonly compareAndSwap: boolean;
  /** A feed can resume after a past revision without a full snapshot. */
  readonly history: boolean;
  /** Entries can expire by themselves. */
  readonly ttl: boolean;
  /**
   * The feed is pushed: a live change reaches every other replica as soon as the backend has it, not on the
   * next poll. The conformance suite holds a backend that declares it to a latency bound.
   */
  readonly pushed: boolean;
  /**
   * After the store loses its history (a new epoch: a bucket deleted and created again, a server restarted
   * empty), its revisions start over: the first write gets the first revision again, so a key can come back
   * at a revision it had in the lost history, with another value. `false` for a store whose revision counter
   * never goes back (etcd's cluster-wide revision): every write after a loss gets a revision above all of
   * the lost history's. Either way the loss is a new epoch and replicas resync (rule 9); the conformance
   * suite holds a backend to the one it declares. Only meaningful with `ordered`; an unordered backend has
   * no lattice-wide revisions and declares `false`.
   */
  readonly revisionsRestart: boolean;
}

/** One change as the backend stores it: `value === null` is a tombstone (rule 6). */
export interface BackendEntry {
  /** Storage key, e.g. `LINKDEF_{id}`. */
  readonly key: string;
  /** Encoded value, or `null` for a delete/purge marker. */
  readonly value: Uint8Array | null;
  /** The revision the backend assigned (JetStream sequence, Redis counter, …). */
  readonly revision: number;
  /** The id of the host that wrote it, when the backend stores it. */
  readonly origin?: string;
  /**
   * When the backend stored the change, in ms since the Unix epoch by the backend's own clock, when the
   * backend records it (JetStream does, the Redis change log does not). The replica measures propagation
   * delay from it: hosts and servers should be NTP-synced, as the delay includes any clock skew.
   */
  readonly writtenAt?: number;
}

/** The backend's current position: its latest revision and an id of its history. */
export interface BackendHead {
  /** The latest revision assigned (0 for an empty store). */
  readonly revision: number;
  /**
   * Identifies one unbroken history. It changes when history is lost (bucket recreated, memory store
   * restarted, Redis restarted without persistence), telling the replica to resync (rule 9).
   */
  readonly epoch: string;
}

/**
 * Where a feed starts: after the replica's last applied revision, in the history that revision belongs to.
 * The replica owns this position; a backend keeps no copy of it.
 */
export interface FeedPosition {
  /** The last revision the replica applied; `0` asks for a snapshot of every current entry. */
  readonly revision: number;
  /**
   * The history (`BackendHead.epoch`) `revision` belongs to, as the replica's last `synced` reported it;
   * undefined for a snapshot. A backend whose history is another one must report a `gap` (rule 9).
   */
  readonly epoch?: string;
}

/** Where a feed delivers. Calls after the subscription is closed are ignored by the replica. */
export interface FeedSink {
  /** One change. Ordered backends deliver in revision order (a snapshot may be in any order). */
  entry(entry: BackendEntry): void;
  /**
   * Every change up to `head.revision` (the backend's revision when the subscription started) has been
   * delivered — also for an empty store (rule 8). Called once per subscription.
   */
  synced(head: BackendHead): void;
  /** The feed cannot continue without losing changes (trimmed log, lost history): the replica resyncs (rule 9). */
  gap(reason: string): void;
  /**
   * The feed's connection went down or came back (rule 10). Each subscription reports its own state: a
   * subscription started while disconnected should say `connection(true)` once it works (delivering an
   * entry or `synced` also counts as connected).
   */
  connection(connected: boolean, detail?: string): void;
  /**
   * Something happened that may have left the feed behind or on another history without a sound of its
   * own (the store's leader moved, a server said so): the replica compares its position with `head()` soon.
   * Cheap to call; the replica coalesces repeated calls. Optional for a backend to raise.
   */
  check?(reason: string): void;
}

/** A running feed. */
export interface FeedSubscription {
  /** Stops delivery and releases server-side resources. */
  close(): Promise<void>;
}

/** One write request. */
export interface WriteRequest {
  /** Storage key. */
  readonly key: string;
  /** Encoded value, or `null` to delete (write a tombstone). */
  readonly value: Uint8Array | null;
  /**
   * When set, write only if the key's revision equals it; `0` means the key must not exist (a deleted key
   * counts as not existing). On mismatch throw `ConflictError` with the current revision; write nothing.
   */
  readonly expectedRevision?: number;
  /**
   * The history (`BackendHead.epoch`) `expectedRevision` was read in. With an `expectedRevision` above 0, a
   * backend that declares `compareAndSwap` writes only while its history is this one (core's
   * `historyAccepts`), atomically with the revision check; otherwise it throws `ConflictError` with
   * `otherHistory: true` and writes nothing (rule 4: a revision of a lost history never matches). Undefined:
   * not tied to a history.
   */
  readonly expectedEpoch?: string;
  /** The writing host's id. */
  readonly origin: string;
}

/** The revision the backend assigned to a write. */
export interface WriteResult {
  readonly revision: number;
}

/**
 * A storage backend for the lattice cache. Implement this, pass `@lattice-cache/conformance`, done.
 * Errors: `ConflictError` for a refused conditional write, `BackendUnavailableError` when the backend
 * cannot be reached (fail fast, write nothing), `PermissionDeniedError` when the backend refuses access.
 */
export interface LatticeBackend {
  /** Must be `BACKEND_SPECIFICATION_VERSION`. */
  readonly specificationVersion: typeof BACKEND_SPECIFICATION_VERSION;
  /** Short name: `jetstream`, `redis`, `legacy`, `memory`. */
  readonly name: string;
  /** What this backend promises. */
  readonly capabilities: BackendCapabilities;
  /** Connects and provisions. Throws a typed error for configuration or permission problems. */
  open(): Promise<void>;
  /**
   * Starts a feed. `from.revision === 0`: snapshot of every current entry (tombstones included where
   * the backend keeps them), then `synced`, then live changes. `from.revision > 0`: every change with a
   * higher revision, then `synced`, then live — or `gap` when that cannot be done without loss, or when the
   * backend's history is not `from.epoch`. Durable backends build their feed on core's `FeedProtocol`
   * (push transports) or `followLog` (log transports), which hold those rules once.
   */
  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription;
  /** Writes one entry and resolves with its revision. */
  write(request: WriteRequest): Promise<WriteResult>;
  /**
   * The backend's current head. Cheap, and free of side effects: it reads, never re-creates a store or
   * restarts a feed. The replica calls it rarely while its feed looks healthy (every 60 s ± 20 %), and every
   * second while something looks wrong: a `check()` from the feed, a reconnection, an own write the feed
   * did not bring, a lag (rule 9).
   */
  head(): Promise<BackendHead>;
  /** Closes connections. */
  close(): Promise<void>;
  /** Facts for `status()` and diagnostics (servers, bucket, …). Never secrets. */
  describe?(): Readonly<Record<string, unknown>>;
  /**
   * Optional: the latest stored change of one key, read from the store (never from a replica); undefined
   * when the store holds nothing under it. Core's compaction lease reads its marker key with it.
   */
  read?(key: string): Promise<BackendEntry | undefined>;
  /**
   * Optional: removes delete markers written before `now - request.olderThanMs` from the store (rule 6:
   * bounded storage) — only markers that are still their key's latest change, never a value written after
   * them — and reports them. A feed that would have to read across a removed marker must end in a gap.
   * Drive it through core's `compactLattice`, which takes a lease so one host compacts at a time.
   */
  compactTombstones?(request: CompactionRequest): Promise<CompactionReport>;
}
