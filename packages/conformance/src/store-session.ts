// One test's world: a fresh store, the caches and raw backends opened on it, and their orderly release.
import { AssertionError } from "node:assert/strict";
import { errorText, LatticeCache, type UpdateRetryPolicy } from "@lattice-cache/core";
import type { BackendHead, LatticeBackend } from "@lattice-cache/core/backend";
import type { ResolvedOptions } from "./conformance-options.js";
import type { ConformanceBackdoor, ConformanceStore, ConformanceTarget } from "./conformance-target.js";
import { eventually, type PollOptions, withinDeadline } from "./eventually.js";

/** How `StoreSession.cache` opens a cache. */
export interface SessionCacheOptions {
  /** Await `ready()` before returning. Default true. */
  readonly ready?: boolean;
  /** Wrap the connected backend before the cache gets it (feed taps). */
  readonly wrap?: (backend: LatticeBackend) => LatticeBackend;
  /** The cache's `maxValueBytes`. Default: core's default. */
  readonly maxValueBytes?: number;
  /** The cache's `update` retry bounds. Default: core's default. */
  readonly updateRetry?: Partial<UpdateRetryPolicy>;
  /** The cache's `tombstoneRetentionMs`. Default: core's default. */
  readonly tombstoneRetentionMs?: number;
}

/** A tuple of `N` caches. */
export type CacheTuple<N extends number, R extends LatticeCache[] = []> = R["length"] extends N
  ? R
  : CacheTuple<N, [LatticeCache, ...R]>;

/** How long releasing one cache, backend or store may take before the test fails for it. */
const RELEASE_DEADLINE_MS = 15_000;

/** A fresh store plus everything a test opened on it; `close()` releases all of it. */
export class StoreSession {
  private readonly caches: LatticeCache[] = [];
  private readonly connected = new Map<LatticeCache, LatticeBackend>();
  private readonly rawBackends: LatticeBackend[] = [];
  private admin: Promise<LatticeBackend> | undefined;
  private hosts = 0;

  private constructor(
    readonly store: ConformanceStore,
    readonly options: ResolvedOptions,
  ) {}

  /** Creates a fresh store of `target`. */
  static async open(target: ConformanceTarget, options: ResolvedOptions): Promise<StoreSession> {
    const store = await target.newStore();
    return new StoreSession(store, options);
  }

  /** The store's backdoor. */
  get backdoor(): ConformanceBackdoor {
    return this.store.backdoor;
  }

  /** Poll options with the suite's wait timeout. */
  poll(detail?: () => string): PollOptions {
    return { timeoutMs: this.options.waitTimeoutMs, detail };
  }

  /** A new host: a cache on a new connection, ready unless asked otherwise. */
  async cache(options: SessionCacheOptions = {}): Promise<LatticeCache> {
    const connected = await this.store.connect();
    this.rawBackends.push(connected);
    const backend = options.wrap ? options.wrap(connected) : connected;
    this.hosts += 1;
    const cache = await LatticeCache.open({
      backend,
      hostId: `conformance-host-${this.hosts}`,
      logger: this.options.logger,
      timing: this.options.timing,
      maxValueBytes: options.maxValueBytes,
      updateRetry: options.updateRetry,
      tombstoneRetentionMs: options.tombstoneRetentionMs,
    });
    // From here on the cache owns (and closes) the backend.
    this.rawBackends.splice(this.rawBackends.indexOf(connected), 1);
    this.caches.push(cache);
    this.connected.set(cache, connected);
    if (options.ready !== false) await cache.ready(this.options.readyTimeoutMs);
    return cache;
  }

  /** `n` ready caches, each on its own connection (a tuple, so `const [a, b] = …` is typed). */
  async cacheGroup<N extends number>(n: N): Promise<CacheTuple<N>> {
    const caches: LatticeCache[] = [];
    for (let i = 0; i < n; i++) caches.push(await this.cache());
    return caches as CacheTuple<N>;
  }

  /** The backend `connect()` returned for `cache` (before any suite wrapper). */
  backendOf(cache: LatticeCache): LatticeBackend {
    const backend = this.connected.get(cache);
    if (!backend) throw new Error(`${cache.hostId} was not opened by this session`);
    return backend;
  }

  /** A new connection, opened, used directly (no cache). Closed with the session. */
  async rawBackend(): Promise<LatticeBackend> {
    const backend = await this.store.connect();
    this.rawBackends.push(backend);
    await backend.open();
    return backend;
  }

  /** The backend's head, through a connection of its own. */
  async head(): Promise<BackendHead> {
    this.admin ??= this.rawBackend();
    return (await this.admin).head();
  }

  /**
   * Waits until every cache has applied exactly the backend's head revision. Only for ordered backends:
   * an unordered backend's revisions are each host's own counters, so no head revision is shared.
   */
  async settle(caches: readonly LatticeCache[]): Promise<BackendHead> {
    const head = await this.head();
    const admin = await this.admin;
    if (admin && !admin.capabilities.ordered) {
      // A mistake in the suite, not in the backend: say so instead of timing out on incomparable revisions.
      throw new Error(`conformance suite bug: settle() on ${admin.name}, which does not declare ordered`);
    }
    await eventually(
      `every replica has applied the backend's head revision ${head.revision}`,
      () => caches.every((c) => c.status().revision === head.revision),
      this.poll(() =>
        caches.map((c) => `${c.hostId}: ${c.status().revision} (${c.status().state})`).join(", "),
      ),
    );
    return head;
  }

  /** Retries `write` until it succeeds, while the backend recovers from a fault (a bucket being recreated). */
  async writeWhenPossible(what: string, write: () => Promise<unknown>): Promise<void> {
    await eventually(
      `${what} succeeds`,
      async () => {
        await write();
        return true;
      },
      this.poll(),
    );
  }

  /** Closes every cache and backend, then disposes the store. Reports the first failure. */
  async close(): Promise<void> {
    const failures: string[] = [];
    const release = async (what: string, action: () => Promise<void>) => {
      try {
        await withinDeadline(action(), RELEASE_DEADLINE_MS, what);
      } catch (error) {
        failures.push(`${what}: ${errorText(error)}`);
      }
    };
    await Promise.all([
      ...this.caches.map((c) => release(`closing cache ${c.hostId}`, () => c.close())),
      ...this.rawBackends.map((b, i) => release(`closing raw backend ${i + 1}`, () => b.close())),
    ]);
    await release("disposing the store", () => this.store.dispose());
    if (failures.length)
      throw new AssertionError({ message: `releasing the test's store failed: ${failures.join("; ")}` });
  }
}

/**
 * Runs `body` with a fresh store and releases everything afterwards. A failure of the body wins over a
 * failure to release; a release failure alone fails the test (a leaking adapter is a broken adapter).
 */
export async function withStore(
  target: ConformanceTarget,
  options: ResolvedOptions,
  body: (session: StoreSession) => Promise<void>,
): Promise<void> {
  const session = await StoreSession.open(target, options);
  try {
    await body(session);
  } catch (error) {
    await session.close().catch(() => {});
    throw error;
  }
  await session.close();
}
