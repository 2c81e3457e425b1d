// What `LatticeCache.status()` reports.
// Rules cited here: docs/semantics.md#rule-2, #rule-6, #rule-10, #rule-11.
import type { BackendCapabilities } from "./backend.js";
import type { CollectionName } from "./keys.js";
import type { PropagationDelay, ReplicaState } from "./replica.js";

/** A snapshot of a cache's health, for `/status`, metrics and the split-brain audit. */
export interface CacheStatus {
  /** `syncing` (before the initial sync), `live`, `stale` (backend unreachable or feed stalled), `resyncing`. */
  readonly state: ReplicaState;
  /** This host's id (the origin of its writes). */
  readonly hostId: string;
  /** The backend's name. */
  readonly backend: string;
  /**
   * Whether this replica reaches its backend (rule 10): false from the moment its feed reports the connection
   * lost or a head check fails, until the feed is back and the head answers again.
   */
  readonly backendConnected: boolean;
  /** What the backend promises. */
  readonly capabilities: BackendCapabilities;
  /** The last revision applied by this replica. */
  readonly revision: number;
  /** The backend's latest revision when last seen, if known. */
  readonly backendRevision: number | undefined;
  /** `backendRevision - revision` (0 when unknown or caught up). */
  readonly lag: number;
  /**
   * How long (ms) the oldest change this replica has not applied has been known to exist (0 when caught
   * up). A replica whose feed delivers late but makes progress stays `live` and shows it here.
   */
  readonly lagMs: number;
  /**
   * Propagation delay over the latest live changes this replica applied from the feed (at most 256): the
   * time from when the backend stored a change (by its clock: hosts and servers should be NTP-synced, the
   * delay includes clock skew) to when this replica applied it. `samples: 0` and undefined percentiles when
   * the backend gives no write time (Redis) or nothing arrived live yet.
   */
  readonly propagation: PropagationDelay;
  /** Rule 2: the digest of the live set; equal revision + different digest = split brain. */
  readonly digest: string;
  /** Live entries per collection. */
  readonly counts: Readonly<Record<CollectionName, number>>;
  /** Keys whose newest value failed validation: they read as absent until a valid value is written (rule 11). */
  readonly invalidKeys: number;
  /**
   * Deleted keys whose tombstone the replica still holds (rule 6): tombstones older than the cache's
   * `tombstoneRetentionMs` are dropped, so this stays bounded by the deletes of one retention.
   */
  readonly tombstones: number;
  /** ISO time since when the replica may serve old data (undefined while live). */
  readonly staleSince: string | undefined;
  /** Milliseconds the replica has been stale (0 while live). */
  readonly staleForMs: number;
  /** The last problem seen, if any. */
  readonly lastError: string | undefined;
  /** Monotonic counters. */
  readonly counters: {
    readonly appliedChanges: number;
    readonly invalidEntries: number;
    readonly resyncs: number;
    readonly feedRestarts: number;
    readonly writes: number;
    readonly writeErrors: Readonly<Record<string, number>>;
  };
  /** What the backend says about itself (servers, bucket, …; never secrets). */
  readonly details: Readonly<Record<string, unknown>>;
}
