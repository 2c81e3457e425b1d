// The Redis backend: writes through one atomic Lua script per write, a feed per subscription on its own
// connection, the head from the revision counter and epoch key. Layout in redis-keys.ts.
//
// Closing tells the truth about writes in flight (issue 22 item 6): close() waits up to `closeGraceMs` for
// the replies to writes already sent before it disconnects; a write the disconnect cuts off says its outcome
// is unknown, one that sent nothing fails with CLOSED.
// Rules cited here: docs/semantics.md#rule-10.
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendEntry,
  type BackendHead,
  BackendUnavailableError,
  ClosedError,
  type CompactionReport,
  type CompactionRequest,
  ConfigurationError,
  ConflictError,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  InFlightWrites,
  type LatticeBackend,
  LatticeNotFoundError,
  LogFeeds,
  type Logger,
  PermissionDeniedError,
  redactUrl,
  silentLogger,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core";
import { RedisChangeLog } from "./change-feed.js";
import { LatticeScripts, type RedisClient } from "./lua-scripts.js";
import {
  describeClusterNode,
  type RedisBackendOptions,
  type ResolvedRedisBackendOptions,
  resolveRedisBackendOptions,
} from "./redis-backend-options.js";
import { backendClient, reconnectPolicy } from "./redis-client-factory.js";
import {
  BACKEND_NAME,
  isCertificateError,
  isPermissionError,
  isServerAnswer,
  redactSecrets,
  redisErrorText,
  toLatticeError,
} from "./redis-errors.js";
import { type RedisKeyLayout, redisKeys } from "./redis-keys.js";
import { compactTombstones, readEntry } from "./tombstone-compaction.js";

/**
 * A lattice backend on Redis (one server, Sentinel, or Cluster) through ioredis.
 *
 * ```ts
 * const backend = new RedisBackend({ url: "redis://127.0.0.1:6379", prefix: "default" });
 * const cache = await LatticeCache.open({ backend });
 * ```
 *
 * Ordered (a revision counter bumped in the same script as the write), compare-and-swap, history (a
 * change-log stream of `changeLogLength` entries), pushed (`XREAD BLOCK`); durable only when declared
 * with `durable: true`.
 */
export class RedisBackend implements LatticeBackend {
  /** The backend contract version this adapter implements. */
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  /** `redis`. */
  readonly name = BACKEND_NAME;
  /** Ordered, compare-and-swap, history, pushed; `durable` as declared in the options; no TTL. */
  readonly capabilities: BackendCapabilities;
  /** The Redis keys of this lattice. */
  readonly keys: RedisKeyLayout;

  private readonly options: ResolvedRedisBackendOptions;
  private readonly logger: Logger;
  private client: RedisClient | undefined;
  private scripts: LatticeScripts | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;
  /** Its feeds, and what they delivered last (a resuming feed proves the store still holds it). */
  private readonly feeds = new LogFeeds();
  /** Writes sent and not answered yet: close() waits for them (bounded by `closeGraceMs`). */
  private readonly inFlight = new InFlightWrites();

  /** @throws ConfigurationError for invalid options (the field is named). */
  constructor(options: RedisBackendOptions = {}) {
    this.options = resolveRedisBackendOptions(options);
    this.keys = redisKeys(this.options.prefix);
    this.logger = options.logger ?? silentLogger;
    this.capabilities = {
      ordered: true,
      durable: this.options.durable,
      compareAndSwap: true,
      history: true,
      ttl: false,
      pushed: true,
      // The revision counter is a key of the lattice's own: a flushed or restarted-empty server starts it over.
      revisionsRestart: true,
    };
  }

  /**
   * Connects (retrying until `connectTimeoutMs`) and provisions the epoch key (with `provision: "bind"`,
   * only checks it exists: `LatticeNotFoundError` when not). Throws `PermissionDeniedError` for refused credentials or ACL rules, `ConfigurationError` for a refused TLS
   * certificate, `BackendUnavailableError` when no connection could be made in time, `ClosedError` after `close()`.
   */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("the redis backend"));
    this.opening ??= this.connect().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  /**
   * Starts a feed on a dedicated connection (core's `followLog` over the change log): `from.revision === 0`
   * = atomic snapshot (tombstones included), then `synced`, then the change log live; `> 0` = the change log
   * after that revision, or `gap` when it was trimmed, the history is not `from.epoch`, or the change log
   * holds other changes than this backend's feeds delivered. Never throws for connection problems: it
   * retries and reports them through `sink.connection`.
   */
  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    if (this.closed) throw new ClosedError("the redis backend");
    const o = this.options;
    let refusalLogged = false;
    return this.feeds.follow({
      from,
      sink,
      store: `lattice ${this.keys.tag}`,
      logger: this.logger,
      waitMs: o.feedBlockMs,
      batchSize: o.feedBatchSize,
      retry: reconnectPolicy(o.maxReconnectDelayMs),
      describeError: (error) => {
        const text = redisErrorText(error);
        // Not transient, but the operator may fix the ACL: the feed keeps trying; say why, once.
        if (isPermissionError(error) && !refusalLogged) {
          refusalLogged = true;
          this.logger.error({ err: error }, "redis feed: permission denied; retrying");
        }
        return text;
      },
      transport: (signals) =>
        new RedisChangeLog(
          {
            client: backendClient(o, "feed"),
            keys: this.keys,
            changeLogLength: o.changeLogLength,
            snapshotInlineLimit: o.snapshotInlineLimit,
            readyWaitMs: o.maxReconnectDelayMs * 2,
            logger: this.logger,
          },
          signals,
        ),
    });
  }

  /**
   * Writes one entry atomically (conditional check, revision bump, change-log append, entry write).
   * Throws `ConflictError` (with `currentRevision`) when `expectedRevision` does not match,
   * `BackendUnavailableError` when Redis cannot be reached (nothing is queued), `PermissionDeniedError`
   * when the ACL refuses, `ClosedError` (nothing written) once `close()` has begun; a write that `close()`
   * cut off before its reply fails with `BackendUnavailableError` saying its outcome is unknown.
   */
  write(request: WriteRequest): Promise<WriteResult> {
    // Sent at once when connected, so a write called before close() is one close() waits for.
    if (this.scripts !== undefined && !this.closed) return this.send(this.scripts, request);
    return this.ready().then((scripts) => {
      if (this.closed) throw new ClosedError("the redis backend");
      return this.send(scripts, request);
    });
  }

  /** Runs the write script, tracked as in flight until its reply. */
  private async send(scripts: LatticeScripts, request: WriteRequest): Promise<WriteResult> {
    const sent = scripts.write(request);
    this.inFlight.track(sent).catch(() => {});
    let outcome: Awaited<ReturnType<LatticeScripts["write"]>>;
    try {
      outcome = await sent;
    } catch (error) {
      if (this.closed && !isServerAnswer(error)) {
        throw new BackendUnavailableError(
          BACKEND_NAME,
          `the backend closed before the write of ${request.key} was acknowledged (${redisErrorText(error)}); ` +
            "the write may or may not have been applied",
          { cause: error },
        );
      }
      throw toLatticeError(error, `write ${request.key}`);
    }
    if (!outcome.written) {
      throw new ConflictError({
        key: request.key,
        expectedRevision: request.expectedRevision ?? 0,
        currentRevision: outcome.currentRevision,
        otherHistory: outcome.otherHistory,
      });
    }
    return { revision: outcome.revision };
  }

  /** The revision counter and epoch, read atomically (one round trip, writing nothing). */
  async head(): Promise<BackendHead> {
    const scripts = await this.ready();
    try {
      const head = await scripts.head();
      return { revision: head.revision, epoch: head.epoch };
    } catch (error) {
      throw toLatticeError(error, "read the head");
    }
  }

  /** The key's latest stored change, read from the entries hash (see `LatticeBackend.read`). */
  async read(key: string): Promise<BackendEntry | undefined> {
    return readEntry(await this.commandClient(), this.keys, key);
  }

  /** Removes tombstones older than the cutoff (see `LatticeBackend.compactTombstones`, tombstone-compaction.ts). */
  async compactTombstones(request: CompactionRequest): Promise<CompactionReport> {
    return compactTombstones(await this.commandClient(), this.keys, request);
  }

  /**
   * Stops every feed, waits up to `closeGraceMs` for the replies to writes already sent, and closes the
   * connections. Writes not sent yet fail with `ClosedError`. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.feeds.close(), this.inFlight.settle(this.options.closeGraceMs)]);
    this.client?.disconnect();
    this.client = undefined;
    this.scripts = undefined;
  }

  /** Mode, redacted address, key tag, change-log length and connection state. Never secrets. */
  describe(): Readonly<Record<string, unknown>> {
    const o = this.options;
    return {
      mode: o.cluster ? "cluster" : o.sentinel ? "sentinel" : "standalone",
      ...(o.cluster
        ? { nodes: o.cluster.nodes.map(describeClusterNode) }
        : o.sentinel
          ? { sentinels: o.sentinel.sentinels.map((s) => `${s.host}:${s.port}`), master: o.sentinel.name }
          : { url: redactUrl(o.url) }),
      ...(o.username === undefined ? {} : { username: o.username }),
      prefix: o.prefix,
      keyTag: this.keys.tag,
      changeLogLength: o.changeLogLength,
      durable: o.durable,
      connection: this.closed ? "closed" : (this.client?.status ?? "not opened"),
      feeds: this.feeds.size,
    };
  }

  private async ready(): Promise<LatticeScripts> {
    if (this.closed) throw new ClosedError("the redis backend");
    if (this.scripts === undefined) await this.open();
    if (this.scripts === undefined) throw new ClosedError("the redis backend");
    return this.scripts;
  }

  private async commandClient(): Promise<RedisClient> {
    await this.ready();
    if (this.client === undefined) throw new ClosedError("the redis backend");
    return this.client;
  }

  private async connect(): Promise<void> {
    const client = backendClient(this.options, "commands");
    const scripts = new LatticeScripts(client, this.keys, this.options.changeLogLength);
    let lastError: unknown;
    let up = false;
    client.on("error", (error: unknown) => {
      lastError = redactSecrets(error);
      // ioredis reports every failed reconnection attempt; one warning per outage is enough.
      if (up) this.logger.warn({ err: error }, "redis connection error");
      else this.logger.debug({ err: error }, "redis connection error");
      up = false;
    });
    client.on("ready", () => {
      if (!up && this.scripts !== undefined)
        this.logger.info({ target: this.target() }, "redis connection restored");
      up = true;
    });
    try {
      await this.firstConnection(client, () => lastError);
      if (this.options.provision === "bind") await this.mustExist(scripts);
      await scripts.head(true); // provisions the epoch and proves the ACL lets us run scripts on our keys
    } catch (error) {
      client.disconnect();
      throw toLatticeError(error, `use ${this.keys.tag} at ${this.target()}`);
    }
    up = true;
    if (this.closed) {
      client.disconnect();
      throw new ClosedError("the redis backend");
    }
    this.client = client;
    this.scripts = scripts;
    this.logger.info({ target: this.target(), keyTag: this.keys.tag }, "redis backend connected");
  }

  /** `provision: "bind"`: the lattice's epoch key must exist already (reading it writes nothing). */
  private async mustExist(scripts: LatticeScripts): Promise<void> {
    if ((await scripts.head()).epoch !== "") return;
    throw new LatticeNotFoundError(
      this.options.prefix,
      `no lattice ${this.keys.tag} at ${this.target()} and provision is "bind" (its epoch key ${this.keys.epoch} is missing)`,
    );
  }

  /** Waits for the first `ready`, letting ioredis retry until the deadline; refused credentials fail at once. */
  private firstConnection(client: RedisClient, lastError: () => unknown): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const onError = (error: unknown) => {
        redactSecrets(error);
        if (isPermissionError(error)) {
          finish(
            new PermissionDeniedError(`redis refused the credentials: ${redisErrorText(error)}`, {
              cause: error,
            }),
          );
        } else if (isCertificateError(error)) {
          finish(
            new ConfigurationError(
              `redis TLS: the server certificate was refused: ${redisErrorText(error)}`,
              {
                field: "redis.tls",
                cause: error,
              },
            ),
          );
        }
      };
      const onReady = () => finish(undefined);
      const timer = setTimeout(() => {
        const last = lastError();
        finish(
          new BackendUnavailableError(
            BACKEND_NAME,
            `no connection to ${this.target()} within ${timeoutMs} ms${last === undefined ? "" : `: ${redisErrorText(last)}`}`,
            { cause: last },
          ),
        );
      }, timeoutMs);
      const finish = (error: Error | undefined) => {
        clearTimeout(timer);
        client.off("error", onError);
        client.off("ready", onReady);
        if (error === undefined) resolve();
        else reject(error);
      };
      client.on("error", onError);
      client.once("ready", onReady);
      client.connect().catch(() => {
        // The retry strategy keeps trying; the deadline above decides.
      });
    });
  }

  /** Where we connect, without secrets. */
  private target(): string {
    const o = this.options;
    if (o.cluster) return `cluster (${o.cluster.nodes.length} seed nodes)`;
    if (o.sentinel) return `sentinel master ${o.sentinel.name}`;
    return redactUrl(o.url);
  }
}
