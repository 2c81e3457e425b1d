// The public entry point: a backend + a replica + typed collections.
// Rules cited here: docs/semantics.md#rule-8.
import { randomBytes } from "node:crypto";
import { BACKEND_SPECIFICATION_VERSION, type LatticeBackend } from "./backend.js";
import type { LatticeChange } from "./change-event.js";
import { claimsCodec } from "./claims.js";
import { ClaimsCollection, LinkDefinitions, ReferenceMaps } from "./collections.js";
import { DEFAULT_UPDATE_RETRY, type UpdateRetryPolicy } from "./conflict-rules.js";
import { ConfigurationError } from "./errors.js";
import type { CollectionName } from "./keys.js";
import { linkdefsCodec } from "./linkdefs.js";
import { type Logger, silentLogger } from "./logger.js";
import { refmapsCodec } from "./refmaps.js";
import {
  DEFAULT_REPLICA_TIMING,
  DEFAULT_TOMBSTONE_RETENTION_MS,
  Replica,
  type ReplicaTiming,
} from "./replica.js";
import type { CacheStatus } from "./status.js";
import type { ChangeListener, WatchOptions } from "./watch-hub.js";
import { WriteCoordinator } from "./write-coordinator.js";

/** The default largest encoded value: 1 MiB, the default NATS `max_payload`. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** Options of `LatticeCache.open`. */
export interface LatticeCacheOptions {
  /** The backend; the cache owns it from now on and closes it on `close()`. */
  readonly backend: LatticeBackend;
  /** This host's id, recorded as the origin of its writes. Default: `host-` + 8 random hex characters. */
  readonly hostId?: string;
  /** Structured logger (pino works). Default: silent. */
  readonly logger?: Logger;
  /** Largest encoded value accepted; larger ones are refused before sending. Default 1 MiB. */
  readonly maxValueBytes?: number;
  /** Stall detection and read-your-writes timing. Defaults: `DEFAULT_REPLICA_TIMING`. */
  readonly timing?: Partial<ReplicaTiming>;
  /**
   * How long a delete's tombstone is kept (ms): replicas drop older ones, and a feed that was away from the
   * backend for longer than half of it resyncs instead of resuming (a compaction may have removed deletes it
   * missed). 0 keeps tombstones forever. Every host of a lattice must use the same value. Default 24 h
   * (`DEFAULT_TOMBSTONE_RETENTION_MS`).
   */
  readonly tombstoneRetentionMs?: number;
  /** Bounds of `update`'s retry loop. Defaults: `DEFAULT_UPDATE_RETRY` (100 attempts, 1–100 ms backoff). */
  readonly updateRetry?: Partial<UpdateRetryPolicy>;
  /** A change listener attached before the feed starts, so it also sees the initial snapshot's events. */
  readonly onChange?: ChangeListener;
}

/**
 * The lattice cache of one host: every read is served from a local replica kept in sync with the backend;
 * every write goes to the backend and is applied locally before it resolves.
 *
 * ```ts
 * const cache = await LatticeCache.open({ backend });
 * await cache.ready();
 * cache.linkdefs.byActor("Mbob");
 * ```
 */
export class LatticeCache {
  /** Link definitions. */
  readonly linkdefs: LinkDefinitions;
  /** JWT claims. */
  readonly claims: ClaimsCollection;
  /** OCI reference maps. */
  readonly refmaps: ReferenceMaps;
  /** This host's id. */
  readonly hostId: string;
  /** The backend in use. */
  readonly backend: LatticeBackend;

  private readonly replica: Replica;
  private readonly writer: WriteCoordinator;
  private closing: Promise<void> | undefined;

  private constructor(options: LatticeCacheOptions) {
    this.backend = options.backend;
    this.hostId = options.hostId ?? `host-${randomBytes(4).toString("hex")}`;
    const logger = options.logger ?? silentLogger;
    const timing = { ...DEFAULT_REPLICA_TIMING, ...options.timing };
    const retry = { ...DEFAULT_UPDATE_RETRY, ...options.updateRetry };
    const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes <= 0) {
      throw new ConfigurationError(`maxValueBytes must be a positive integer (got ${maxValueBytes})`, {
        field: "maxValueBytes",
      });
    }
    const retention = options.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS;
    if (!Number.isSafeInteger(retention) || retention < 0) {
      throw new ConfigurationError(`tombstoneRetentionMs must be a non-negative integer (got ${retention})`, {
        field: "tombstoneRetentionMs",
      });
    }
    this.replica = new Replica(this.backend, logger, timing, retention);
    this.writer = new WriteCoordinator(this.backend, this.replica, this.hostId, maxValueBytes, retry);
    this.linkdefs = new LinkDefinitions("linkdefs", linkdefsCodec, this.writer);
    this.claims = new ClaimsCollection("claims", claimsCodec, this.writer);
    this.refmaps = new ReferenceMaps("refmaps", refmapsCodec, this.writer);
  }

  /**
   * Opens the backend and starts the initial sync. Resolves once the feed is started (not synced:
   * await `ready()` for that). Throws the backend's typed error when it cannot be opened.
   */
  static async open(options: LatticeCacheOptions): Promise<LatticeCache> {
    const backend = options.backend;
    if (backend?.specificationVersion !== BACKEND_SPECIFICATION_VERSION) {
      throw new ConfigurationError(
        `backend ${backend?.name ?? "?"} implements specification ${String(backend?.specificationVersion)}, ` +
          `this core needs ${BACKEND_SPECIFICATION_VERSION}`,
        { field: "backend" },
      );
    }
    const cache = new LatticeCache(options);
    if (options.onChange) cache.onChange(options.onChange);
    await backend.open();
    cache.replica.start();
    return cache;
  }

  /** Rule 8: resolves when the replica holds every change up to the backend's revision at subscription time. */
  ready(timeoutMs?: number): Promise<void> {
    return this.replica.ready(timeoutMs);
  }

  /** True once `ready()` has resolved. */
  get isReady(): boolean {
    return this.replica.isReady;
  }

  /** An async iterator of changes from now on, with the previous value in each event. */
  watch(options?: WatchOptions): AsyncIterableIterator<LatticeChange> {
    return this.replica.hub.iterate(options);
  }

  /** Calls `listener` for each change (optionally of some collections); returns the function that stops it. */
  onChange(listener: ChangeListener, collections?: readonly CollectionName[]): () => void {
    return this.replica.hub.listen(listener, collections);
  }

  /** The replica's health: state, revisions, digest, counts, counters. */
  status(): CacheStatus {
    const r = this.replica;
    const staleSince = r.staleSince;
    const backendRevision = r.backendRevision;
    return {
      state: r.state,
      hostId: this.hostId,
      backend: this.backend.name,
      backendConnected: r.backendConnected,
      capabilities: this.backend.capabilities,
      revision: r.revision,
      backendRevision,
      lag: backendRevision === undefined ? 0 : Math.max(0, backendRevision - r.revision),
      lagMs: r.lagMs,
      propagation: r.propagation,
      digest: r.store.digest(),
      counts: r.store.countsByCollection(),
      invalidKeys: r.store.invalidKeys,
      tombstones: r.store.tombstoneCount,
      staleSince: staleSince === undefined ? undefined : new Date(staleSince).toISOString(),
      staleForMs: staleSince === undefined ? 0 : Date.now() - staleSince,
      lastError: r.lastError,
      counters: {
        ...r.counters,
        writes: this.writer.counters.writes,
        writeErrors: { ...this.writer.counters.errors },
      },
      details: this.backend.describe?.() ?? {},
    };
  }

  /**
   * Waits until this replica has applied `revision` (e.g. a revision another host reported). Resolves
   * `false` after `timeoutMs`.
   */
  waitForRevision(revision: number, timeoutMs = 10_000): Promise<boolean> {
    return this.replica.waitForRevision(revision, timeoutMs);
  }

  /** Runs one stall / lost-history check now instead of waiting for the timer. */
  checkBackend(): Promise<void> {
    return this.replica.checkHead();
  }

  /** Stops the feed, ends watchers and closes the backend. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.writer.close();
      await this.replica.close();
      await this.backend.close();
    })();
    return this.closing;
  }
}
