// The postgres backend: LatticeBackend, method by method. open(), write(), head() and close() still throw a
// typed "not implemented" error that says what to write there; subscribe() is already core's followLog over
// the transport in postgres-log-transport.ts, whose methods are the ones to write for the feed. Capabilities
// are all false: declare each once the conformance suite holds the backend to it (README.md, "Capabilities").
// Rules cited here: docs/semantics.md#rule-4, #rule-6, #rule-9.
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendHead,
  ClosedError,
  type DeliveredChange,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  followLog,
  type LatticeBackend,
  type Logger,
  RecentDeliveries,
  silentLogger,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core";
import { notImplemented } from "./not-implemented.js";
import {
  type PostgresBackendOptions,
  type ResolvedPostgresBackendOptions,
  redactUrl,
  resolvePostgresBackendOptions,
} from "./postgres-backend-options.js";
import { PostgresLogTransport } from "./postgres-log-transport.js";

/**
 * A lattice backend on postgres.
 *
 * ```ts
 * const backend = new PostgresBackend({ url: "postgres://127.0.0.1:7000", prefix: "default" });
 * const cache = await LatticeCache.open({ backend });
 * await cache.ready();
 * ```
 */
export class PostgresBackend implements LatticeBackend {
  /** The backend contract version this adapter implements. */
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  /** `postgres`. */
  readonly name = "postgres";
  /**
   * What this backend promises: nothing yet. Each flag turns on the conformance tests that hold a backend to
   * it (packages/conformance/README.md, "What runs, by capability"): declare `ordered`, `compareAndSwap`,
   * `history` and `pushed` as the backend comes to keep them, and `durable` only when an acknowledged write
   * survives a restart of the server.
   */
  readonly capabilities: BackendCapabilities = {
    ordered: false,
    durable: false,
    compareAndSwap: false,
    history: false,
    ttl: false,
    pushed: false,
  };

  private readonly options: ResolvedPostgresBackendOptions;
  private readonly logger: Logger;
  private readonly feeds = new Set<FeedSubscription>();
  /** What this backend's feeds delivered last: a resuming feed proves the store still holds it (rule 9). */
  private readonly recent = new RecentDeliveries<DeliveredChange>();
  private closed = false;

  /** @throws ConfigurationError for invalid options (the field is named). */
  constructor(options: PostgresBackendOptions) {
    this.options = resolvePostgresBackendOptions(options);
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Connects and provisions. Throws `BackendUnavailableError` when the server cannot be reached in time,
   * `PermissionDeniedError` when it refuses the credentials, `ConfigurationError` for what retrying cannot
   * fix, `ClosedError` after `close()`.
   */
  async open(): Promise<void> {
    if (this.closed) throw new ClosedError("the postgres backend");
    throw notImplemented(
      "open()",
      `connect to the postgres server at ${redactUrl(this.options.url)} and create what lattice ` +
        `${this.options.prefix} keeps there when it is missing (its entries, revision counter, change log and ` +
        "epoch); fail with BackendUnavailableError when the server cannot be reached, PermissionDeniedError " +
        "when it refuses the credentials",
      "packages/core/src/backend.ts (LatticeBackend.open)",
    );
  }

  /**
   * Starts a feed: a snapshot (`from.revision === 0`) or a checked resume, then `synced`, then live changes —
   * core's `followLog` holds those rules once; the backend supplies its transport. Never throws for
   * connection problems: the feed retries and reports them through `sink.connection`.
   */
  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    if (this.closed) throw new ClosedError("the postgres backend");
    const subscription = followLog({
      from,
      sink,
      recent: this.recent,
      store: `postgres lattice ${this.options.prefix}`,
      logger: this.logger,
      waitMs: this.options.feedWaitMs,
      transport: (signals) => new PostgresLogTransport(this.options, signals),
      onStop: () => this.feeds.delete(subscription),
    });
    this.feeds.add(subscription);
    return subscription;
  }

  /**
   * Writes one entry and resolves with the revision it was given. Throws `ConflictError` for a refused
   * conditional write, `BackendUnavailableError` when the server cannot be reached (never queue a write for
   * later: fail now and write nothing).
   */
  async write(_request: WriteRequest): Promise<WriteResult> {
    if (this.closed) throw new ClosedError("the postgres backend");
    throw notImplemented(
      "write()",
      "store the value (null: a tombstone, kept with a revision of its own, rule 6) under the key with the " +
        "next revision of the lattice, in one atomic step with the change-log entry and with the check of " +
        "expectedRevision when it is given (casAccepts of conflict-rules.ts: a tombstone's own revision is " +
        "accepted; on a mismatch throw ConflictError with comparableRevision, 0 for a deleted key, as the " +
        "current revision, and write nothing)",
      "docs/semantics.md#rule-4-conditional-writes",
    );
  }

  /**
   * The backend's latest revision and the id of its history (a new epoch whenever the history is lost).
   * Cheap and free of side effects: the replica calls it every few seconds.
   */
  async head(): Promise<BackendHead> {
    if (this.closed) throw new ClosedError("the postgres backend");
    throw notImplemented(
      "head()",
      "read the lattice's latest revision and its epoch, changing nothing (0 and a stable epoch for an " +
        "empty store)",
      "docs/semantics.md#rule-9-gaps-are-healed",
    );
  }

  /** Stops every feed, then releases the connection `open()` made. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.feeds].map((feed) => feed.close()));
    this.feeds.clear();
    throw notImplemented("close()", "release the connection open() made (the feeds are closed above)");
  }

  /** Facts for `status()` and diagnostics; never secrets. */
  describe(): Readonly<Record<string, unknown>> {
    return { server: redactUrl(this.options.url), prefix: this.options.prefix };
  }
}
