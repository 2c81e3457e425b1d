// The PostgreSQL backend: writes through the lattice's write function (one statement, one transaction), the
// head from its metadata row, a feed per subscription on a connection of its own (core's followLog over
// postgres-log-transport.ts), all in the schema `lattice_<prefix>` (lattice-schema.ts). Opening once,
// connecting until `connectTimeoutMs` and closing with writes in flight are core's BackendLifecycle.
// Rules cited here: docs/semantics.md#rule-1, #rule-4, #rule-6, #rule-9, #rule-10.
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendEntry,
  type BackendHead,
  BackendLifecycle,
  BackendUnavailableError,
  Backoff,
  type CompactionReport,
  type CompactionRequest,
  ConflictError,
  type ConnectDeadline,
  comparableRevision,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  type LatticeBackend,
  LatticeCacheError,
  LatticeNotFoundError,
  LogFeeds,
  type Logger,
  redactUrl,
  silentLogger,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core/backend";
import pg, { type ClientConfig } from "pg";
import { clientConfig } from "./connection-config.js";
import { endPool } from "./connection-shutdown.js";
import { latticeExists, provisionLattice } from "./lattice-provisioning.js";
import { readEntry, readHead, writeChange } from "./lattice-queries.js";
import { type LatticeSchema, latticeSchema } from "./lattice-schema.js";
import {
  type PostgresBackendOptions,
  parsePostgresBackendOptions,
  type ResolvedPostgresBackendOptions,
} from "./postgres-backend-options.js";
import {
  BACKEND_NAME,
  isClientTimeout,
  isMissingLattice,
  isPermanent,
  postgresErrorText,
  sqlState,
  toLatticeError,
} from "./postgres-errors.js";
import { PostgresLogTransport } from "./postgres-log-transport.js";
import { compactTombstones } from "./tombstone-compaction.js";

/**
 * A lattice backend on PostgreSQL through node-postgres.
 *
 * ```ts
 * const backend = new PostgresBackend({ url: "postgres://lattice@db.example:5432/lattice", prefix: "default" });
 * const cache = await LatticeCache.open({ backend });
 * await cache.ready();
 * ```
 *
 * Ordered (revisions taken in turn on the metadata row, so each is visible only after every lower one),
 * compare-and-swap, history (a change log of about `changeLogLength` rows), pushed (LISTEN/NOTIFY, with a
 * fallback poll every `feedWaitMs`), durable (commits flushed before they are acknowledged) unless declared
 * otherwise.
 */
export class PostgresBackend implements LatticeBackend {
  /** The backend contract version this adapter implements. */
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  /** `postgres`. */
  readonly name = BACKEND_NAME;
  /** Ordered, compare-and-swap, history, pushed; `durable` as the options say (default yes); no TTL. */
  readonly capabilities: BackendCapabilities;
  /** The lattice's schema and objects in the database. */
  readonly schema: LatticeSchema;

  private readonly options: ResolvedPostgresBackendOptions;
  /** The settings of every connection (the URL read once, with the options on top). */
  private readonly connection: ClientConfig;
  private readonly logger: Logger;
  /** Its feeds, and what they delivered last (a resuming feed proves the store still holds it). */
  private readonly feeds = new LogFeeds();
  /** Open once, the pool; writes started and not finished, for close() (bounded by `closeGraceMs`). */
  private readonly lifecycle: BackendLifecycle<pg.Pool>;
  /** The pool's open connections (its `connect` and `remove` events), destroyed if closing hangs. */
  private readonly pooled = new Set<pg.Client>();

  /**
   * @throws ConfigurationError for invalid options (each named as `lattice` names it: `postgres.url …`), a
   *   URL that cannot be used (an `sslrootcert` file that cannot be read) or a CA file that cannot be read
   */
  constructor(options: PostgresBackendOptions) {
    this.options = parsePostgresBackendOptions(options);
    this.connection = clientConfig(this.options);
    this.logger = this.options.logger ?? silentLogger;
    this.schema = latticeSchema(this.options.prefix);
    this.capabilities = {
      ordered: true,
      durable: this.options.durable,
      compareAndSwap: true,
      history: true,
      ttl: false,
      pushed: true,
      // The revision counter lives in the lattice's schema: a schema dropped and created again starts it over.
      revisionsRestart: true,
    };
    this.lifecycle = new BackendLifecycle({
      backend: BACKEND_NAME,
      connectTimeoutMs: this.options.connectTimeoutMs,
      closeGraceMs: this.options.closeGraceMs,
      connect: (deadline) => this.connect(deadline),
      release: (pool) => endPool(pool, this.pooled),
      opened: () =>
        this.logger.info(
          { url: redactUrl(this.options.url), schema: this.schema.name },
          "postgres backend connected",
        ),
    });
  }

  /**
   * Connects (retrying until `connectTimeoutMs`) and creates the lattice's schema when it is missing.
   * Throws `PermissionDeniedError` for refused credentials or privileges, `ConfigurationError` for a refused
   * TLS certificate, a database that does not exist or an unusable URL, `BackendUnavailableError` when no
   * connection could be made in time, `ClosedError` after `close()`.
   */
  open(): Promise<void> {
    return this.lifecycle.open();
  }

  /**
   * Starts a feed on a connection of its own (core's `followLog` over the change log): `from.revision === 0`
   * = a snapshot in one repeatable-read transaction (tombstones included), then `synced`, then the change log
   * live, woken by NOTIFY; `> 0` = the change log after that revision, or `gap` when it was trimmed, the
   * history is not `from.epoch`, or the log holds other changes than this backend's feeds delivered. Never
   * throws for connection problems: it retries and reports them through `sink.connection`.
   */
  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    if (this.lifecycle.closed) throw this.lifecycle.closedError();
    const o = this.options;
    const config = this.connection;
    return this.feeds.follow({
      from,
      sink,
      store: `postgres ${this.schema.name}`,
      logger: this.logger,
      waitMs: o.feedWaitMs,
      batchSize: o.feedBatchSize,
      retry: { baseMs: Math.min(100, o.maxReconnectDelayMs), maxMs: o.maxReconnectDelayMs, jitter: 0.5 },
      describeError: postgresErrorText,
      transport: (signals) => new PostgresLogTransport({ config, schema: this.schema }, signals),
    });
  }

  /**
   * Writes one entry atomically: the conditional check, the next revision, the change-log row, the entry
   * and the NOTIFY in one transaction (write-function.ts). Throws `ConflictError` (with `currentRevision`)
   * when `expectedRevision` does not match, `BackendUnavailableError` when the server cannot be reached or
   * does not answer within `queryTimeoutMs` (nothing is queued), `PermissionDeniedError` when the role may
   * not write. A lattice dropped meanwhile is created again (a new history) and the write made there.
   */
  write(request: WriteRequest): Promise<WriteResult> {
    // Tracked from the call: close() waits (bounded) for a write started before it, queued for a connection or sent.
    return this.lifecycle.track(this.writeOnce(request));
  }

  private async writeOnce(request: WriteRequest): Promise<WriteResult> {
    const pool = await this.lifecycle.ready();
    const keep = this.options.changeLogLength;
    let outcome: Awaited<ReturnType<typeof writeChange>>;
    try {
      try {
        outcome = await writeChange(pool, this.schema, request, keep);
      } catch (error) {
        if (!isMissingLattice(error)) throw error;
        await this.provision(pool);
        outcome = await writeChange(pool, this.schema, request, keep);
      }
    } catch (error) {
      if (this.lifecycle.closed) throw this.closedWriteFailure(error, request.key);
      throw writeFailure(error, request.key, this.options.queryTimeoutMs);
    }
    if (!outcome.written) {
      throw new ConflictError({
        key: request.key,
        expectedRevision: request.expectedRevision ?? 0,
        currentRevision: comparableRevision(outcome.current),
        otherHistory: outcome.otherHistory === true,
      });
    }
    return { revision: outcome.revision };
  }

  /** The metadata row's revision and epoch (one query, writing nothing); revision 0 and no epoch while the lattice is missing. */
  async head(): Promise<BackendHead> {
    const pool = await this.lifecycle.ready();
    try {
      return await readHead(pool, this.schema);
    } catch (error) {
      if (isMissingLattice(error)) return { revision: 0, epoch: "" };
      throw toLatticeError(error, `read the head of ${this.schema.name}`);
    }
  }

  /** The key's latest stored change, read from the entries table (see `LatticeBackend.read`). */
  async read(key: string): Promise<BackendEntry | undefined> {
    const pool = await this.lifecycle.ready();
    try {
      return await readEntry(pool, this.schema, key);
    } catch (error) {
      if (isMissingLattice(error)) return undefined;
      throw toLatticeError(error, `read ${key}`);
    }
  }

  /** Removes tombstones older than the cutoff (see `LatticeBackend.compactTombstones`, tombstone-compaction.ts). */
  async compactTombstones(request: CompactionRequest): Promise<CompactionReport> {
    const pool = await this.lifecycle.ready();
    try {
      return await compactTombstones(pool, this.schema, request);
    } catch (error) {
      throw toLatticeError(error, `compact the tombstones of ${this.schema.name}`);
    }
  }

  /**
   * Stops every feed, waits up to `closeGraceMs` for writes already started, and closes the pool. Writes
   * started later fail with `ClosedError`. Idempotent.
   */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.feeds.close());
  }

  /** Redacted server URL, schema, change-log length, pool use and feeds. Never secrets. */
  describe(): Readonly<Record<string, unknown>> {
    const o = this.options;
    const pool = this.lifecycle.connection;
    return {
      url: redactUrl(o.url),
      ...(o.user === undefined ? {} : { user: o.user }),
      prefix: o.prefix,
      schema: this.schema.name,
      changeLogLength: o.changeLogLength,
      durable: o.durable,
      connection: this.lifecycle.closed ? "closed" : pool === undefined ? "not opened" : "open",
      ...(pool === undefined
        ? {}
        : { pool: { open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } }),
      feeds: this.feeds.size,
    };
  }

  /** Opens the pool and provisions the lattice, retrying until `deadline` (the lifecycle's `connect`). */
  private async connect(deadline: ConnectDeadline): Promise<pg.Pool> {
    const o = this.options;
    const pool = new pg.Pool({ ...this.connection, max: o.poolSize, idleTimeoutMillis: o.poolIdleTimeoutMs });
    pool.on("connect", (client) => this.pooled.add(client));
    pool.on("remove", (client) => this.pooled.delete(client));
    pool.on("error", (error) => {
      // An idle connection failed (a restarted server, a cut): the pool drops it and opens another on demand.
      this.logger.warn({ err: error }, "postgres connection error");
    });
    const backoff = new Backoff({ baseMs: 100, maxMs: o.maxReconnectDelayMs, jitter: 0.5 });
    for (;;) {
      try {
        await this.provision(pool);
        break;
      } catch (error) {
        const pause = backoff.next();
        const permanent = isPermanent(error) || LatticeCacheError.isInstance(error);
        if (this.lifecycle.closed || permanent || deadline.passedAfter(pause)) {
          await endPool(pool, this.pooled);
          if (this.lifecycle.closed) throw this.lifecycle.closedError();
          throw openFailure(error, deadline, `open ${this.schema.name} at ${redactUrl(o.url)}`);
        }
        this.logger.debug({ err: error }, "postgres not reachable yet; retrying");
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    return pool;
  }

  /**
   * The typed error of a write that `close()` ended: `ClosedError` when it never reached a connection (nothing
   * was sent), the server's own answer when it gave one, else outcome unknown — it may have been committed.
   */
  private closedWriteFailure(error: unknown, key: string): Error {
    if (LatticeCacheError.isInstance(error) || sqlState(error) !== undefined)
      return toLatticeError(error, `write ${key}`);
    if (NOT_SENT.test(postgresErrorText(error))) return this.lifecycle.closedError();
    return this.lifecycle.writeCutOff(key, postgresErrorText(error), error);
  }

  /**
   * Creates the lattice when it is missing (`provision: "bind"`: finds it, or throws
   * `LatticeNotFoundError`), on a pooled connection of its own.
   */
  private async provision(pool: pg.Pool): Promise<void> {
    const client = await pool.connect();
    let failure: unknown;
    try {
      if (this.options.provision === "bind") {
        if (!(await latticeExists(client, this.schema))) {
          throw new LatticeNotFoundError(
            this.options.prefix,
            `no lattice ${this.schema.name} at ${redactUrl(this.options.url)} and provision is "bind"`,
          );
        }
      } else if (await provisionLattice(client, this.schema)) {
        this.logger.info({ schema: this.schema.name }, "postgres lattice created: a new history begins");
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      client.release(failure !== undefined);
    }
  }
}

/** The typed error of a failed `open()`: an unreachable server says for how long it was tried. */
function openFailure(error: unknown, deadline: ConnectDeadline, action: string): Error {
  const typed = toLatticeError(error, action);
  if (typed.code !== "BACKEND_UNAVAILABLE") return typed;
  return deadline.unavailable(`the server (${action})`, postgresErrorText(error), error);
}

/** node-postgres refusing a query before sending it: a pool already ended, a client already closed. */
const NOT_SENT = /after calling end on the pool|not queryable|timeout exceeded when trying to connect/;

/**
 * The typed error of a failed write. A write the server refused (it answered with an error) wrote nothing;
 * one whose connection failed or went silent after it was sent may or may not have been committed.
 */
function writeFailure(error: unknown, key: string, queryTimeoutMs: number): Error {
  const typed = toLatticeError(error, `write ${key}`);
  if (typed.code !== "BACKEND_UNAVAILABLE" || sqlState(error) !== undefined) return typed;
  const why = isClientTimeout(error)
    ? `no answer from the server within ${queryTimeoutMs} ms`
    : /terminated unexpectedly/.test(postgresErrorText(error))
      ? postgresErrorText(error)
      : undefined;
  if (why === undefined) return typed;
  return new BackendUnavailableError(
    BACKEND_NAME,
    `write ${key}: ${why}; the outcome is unknown: the write may or may not have been applied`,
    { cause: error },
  );
}
