// The Redis backend: writes through one atomic Lua script per write, a feed per subscription on its own
// connection, the head from the revision counter and epoch key. Layout in redis-keys.ts.
//
// Opening once, connecting until `connectTimeoutMs` and closing are core's BackendLifecycle: close() waits up
// to `closeGraceMs` for the replies to writes already sent before it disconnects; a write the disconnect cuts
// off says its outcome is unknown, one that sent nothing fails with CLOSED (issue 22 item 6).
// Rules cited here: docs/semantics.md#rule-10.
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendEntry,
  type BackendHead,
  BackendLifecycle,
  type CompactionReport,
  type CompactionRequest,
  ConfigurationError,
  ConflictError,
  type ConnectDeadline,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  type LatticeBackend,
  LatticeNotFoundError,
  LogFeeds,
  type Logger,
  PermissionDeniedError,
  redactUrl,
  silentLogger,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core/backend";
import { RedisChangeLog } from "./change-feed.js";
import { LatticeScripts, type RedisClient } from "./lua-scripts.js";
import {
  parseRedisBackendOptions,
  type RedisBackendOptions,
  type ResolvedRedisBackendOptions,
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
  /** Open once, the command connection and its scripts; writes sent and not answered yet, for close(). */
  private readonly lifecycle: BackendLifecycle<CommandConnection>;
  /** Its feeds, and what they delivered last (a resuming feed proves the store still holds it). */
  private readonly feeds = new LogFeeds();

  /** @throws ConfigurationError for invalid options, named as `lattice` names the settings (`redis.url …`). */
  constructor(options: RedisBackendOptions = {}) {
    this.options = parseRedisBackendOptions(options);
    this.keys = redisKeys(this.options.prefix);
    this.logger = this.options.logger ?? silentLogger;
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
    this.lifecycle = new BackendLifecycle({
      backend: BACKEND_NAME,
      connectTimeoutMs: this.options.connectTimeoutMs,
      closeGraceMs: this.options.closeGraceMs,
      connect: (deadline) => this.connect(deadline),
      release: ({ client }) => client.disconnect(),
      opened: () =>
        this.logger.info({ target: this.target(), keyTag: this.keys.tag }, "redis backend connected"),
    });
  }

  /**
   * Connects (retrying until `connectTimeoutMs`) and provisions the epoch key (with `provision: "bind"`,
   * only checks it exists: `LatticeNotFoundError` when not). Throws `PermissionDeniedError` for refused credentials or ACL rules, `ConfigurationError` for a refused TLS
   * certificate, `BackendUnavailableError` when no connection could be made in time, `ClosedError` after `close()`.
   */
  open(): Promise<void> {
    return this.lifecycle.open();
  }

  /**
   * Starts a feed on a dedicated connection (core's `followLog` over the change log): `from.revision === 0`
   * = atomic snapshot (tombstones included), then `synced`, then the change log live; `> 0` = the change log
   * after that revision, or `gap` when it was trimmed, the history is not `from.epoch`, or the change log
   * holds other changes than this backend's feeds delivered. Never throws for connection problems: it
   * retries and reports them through `sink.connection`.
   */
  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    if (this.lifecycle.closed) throw this.lifecycle.closedError();
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
    const open = this.lifecycle.connection;
    if (open !== undefined && !this.lifecycle.closed) return this.send(open.scripts, request);
    return this.lifecycle.ready().then(({ scripts }) => {
      if (this.lifecycle.closed) throw this.lifecycle.closedError();
      return this.send(scripts, request);
    });
  }

  /** Runs the write script, tracked as in flight until its reply. */
  private async send(scripts: LatticeScripts, request: WriteRequest): Promise<WriteResult> {
    const sent = scripts.write(request);
    this.lifecycle.track(sent).catch(() => {});
    let outcome: Awaited<ReturnType<LatticeScripts["write"]>>;
    try {
      outcome = await sent;
    } catch (error) {
      if (this.lifecycle.closed && !isServerAnswer(error)) {
        throw this.lifecycle.writeCutOff(request.key, redisErrorText(error), error);
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
    const { scripts } = await this.lifecycle.ready();
    try {
      const head = await scripts.head();
      return { revision: head.revision, epoch: head.epoch };
    } catch (error) {
      throw toLatticeError(error, "read the head");
    }
  }

  /** The key's latest stored change, read from the entries hash (see `LatticeBackend.read`). */
  async read(key: string): Promise<BackendEntry | undefined> {
    return readEntry((await this.lifecycle.ready()).client, this.keys, key);
  }

  /** Removes tombstones older than the cutoff (see `LatticeBackend.compactTombstones`, tombstone-compaction.ts). */
  async compactTombstones(request: CompactionRequest): Promise<CompactionReport> {
    return compactTombstones((await this.lifecycle.ready()).client, this.keys, request);
  }

  /**
   * Stops every feed, waits up to `closeGraceMs` for the replies to writes already sent, and closes the
   * connections. Writes not sent yet fail with `ClosedError`. Idempotent.
   */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.feeds.close());
  }

  /** Mode, redacted address, key tag, change-log length and connection state. Never secrets. */
  describe(): Readonly<Record<string, unknown>> {
    const o = this.options;
    return {
      mode: o.cluster ? "cluster" : o.sentinel ? "sentinel" : "standalone",
      ...(o.cluster
        ? { nodes: o.cluster }
        : o.sentinel
          ? { sentinels: o.sentinel.sentinels, master: o.sentinel.name }
          : { url: redactUrl(o.url) }),
      ...(o.username === undefined ? {} : { username: o.username }),
      prefix: o.prefix,
      keyTag: this.keys.tag,
      changeLogLength: o.changeLogLength,
      durable: o.durable,
      connection: this.lifecycle.closed
        ? "closed"
        : (this.lifecycle.connection?.client.status ?? "not opened"),
      feeds: this.feeds.size,
    };
  }

  /** Connects the command connection and provisions the epoch key (the lifecycle's `connect`). */
  private async connect(deadline: ConnectDeadline): Promise<CommandConnection> {
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
      if (!up && this.lifecycle.connection !== undefined)
        this.logger.info({ target: this.target() }, "redis connection restored");
      up = true;
    });
    try {
      await this.firstConnection(client, deadline, () => lastError);
      if (this.options.provision === "bind") await this.mustExist(scripts);
      await scripts.head(true); // provisions the epoch and proves the ACL lets us run scripts on our keys
    } catch (error) {
      client.disconnect();
      throw toLatticeError(error, `use ${this.keys.tag} at ${this.target()}`);
    }
    up = true;
    return { client, scripts };
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
  private firstConnection(
    client: RedisClient,
    deadline: ConnectDeadline,
    lastError: () => unknown,
  ): Promise<void> {
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
      const cancel = deadline.whenPassed(() => {
        const last = lastError();
        finish(
          deadline.unavailable(this.target(), last === undefined ? undefined : redisErrorText(last), last),
        );
      });
      const finish = (error: Error | undefined) => {
        cancel();
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
    if (o.cluster) return `cluster (${o.cluster.length} seed nodes)`;
    if (o.sentinel) return `sentinel master ${o.sentinel.name}`;
    return redactUrl(o.url);
  }
}

/** The command connection of a Redis backend: its client, and the lattice's scripts on it. */
interface CommandConnection {
  readonly client: RedisClient;
  readonly scripts: LatticeScripts;
}
