// The default lattice-cache backend: the wasmCloud KV bucket LATTICEDATA_{prefix} on NATS JetStream.
// Rules cited here: docs/semantics.md#rule-9.
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendEntry,
  type BackendHead,
  BackendUnavailableError,
  ClosedError,
  type CompactionReport,
  type CompactionRequest,
  ConflictError,
  errorText,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  historyAccepts,
  type LatticeBackend,
  LatticeCacheError,
  PermissionDeniedError,
  RecentDeliveries,
  redactUrl,
  type WatchFeed,
  type WriteRequest,
  type WriteResult,
  withTimeout,
} from "@lattice-cache/core/backend";
import type { StreamInfo } from "@nats-io/jetstream";
import { AckInbox } from "./ack-inbox.js";
import { type BackendSession, closeSession, openSession, provisionWithin } from "./backend-session.js";
import { apiPrefixFor, BucketLayout } from "./bucket-layout.js";
import { ensureBucket } from "./bucket-provisioner.js";
import { followBucket } from "./kv-feed.js";
import { KvWriter } from "./kv-writer.js";
import { isPermissionError, isStreamNotFound } from "./nats-errors.js";
import { type JetStreamBackendOptions, parseJetStreamOptions, type ResolvedOptions } from "./options.js";
import { openStoreAccess, readStoredEntry, type StoreAccess } from "./store-access.js";
import { StreamAdvisories, type StreamAdvisory } from "./stream-advisories.js";
import { compactTombstones } from "./tombstone-compaction.js";

const BACKEND = "jetstream";

/** Everything that exists once `open()` succeeded. */
interface Session extends BackendSession {
  readonly writer: KvWriter;
  readonly advisories: StreamAdvisories;
}

/**
 * A `LatticeBackend` on a NATS JetStream KV bucket, `LATTICEDATA_{prefix}`, in the exact layout wasmCloud
 * hosts use, so this project's hosts and real hosts share one lattice.
 *
 * ```ts
 * const backend = new JetStreamBackend({ servers: "nats://127.0.0.1:4222", prefix: "default" });
 * const cache = await LatticeCache.open({ backend });
 * ```
 */
export class JetStreamBackend implements LatticeBackend {
  /** The backend contract this class implements. */
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  /** `jetstream`. */
  readonly name = BACKEND;
  /**
   * Ordered (stream sequences), compare-and-swap (expected last subject sequence), history (resume by
   * sequence); durable when the bucket is created with file storage. No per-key TTL on nats-server 2.9.
   */
  readonly capabilities: BackendCapabilities;

  private readonly options: ResolvedOptions;
  private readonly layout: BucketLayout;
  private session: Session | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;
  private stream: StreamInfo | undefined;
  /** When `stream` was last read (ms epoch): its creation time is the epoch writes are checked against. */
  private epochReadAt = 0;
  /** When a stream deletion or creation was last announced: an epoch read before it is in doubt. */
  private historyDoubtSince = 0;
  private readonly feeds = new Set<WatchFeed>();
  /** What the feeds delivered last: the history proof of a feed that replaces another (core's FeedProtocol). */
  private readonly recent = new RecentDeliveries();
  /**
   * The stream leader last observed (a leader-elected advisory, or any stream info). Only recorded here: each
   * feed's watchdog compares it with the leader its consumer was created under (history-audit.ts).
   */
  private leader: string | undefined;
  /** Feeds started so far: every one after the first replaces a stalled or failed feed (or resyncs). */
  private feedsStarted = 0;

  /** @throws ConfigurationError naming each invalid option (nothing is connected yet); see `JETSTREAM_OPTIONS`. */
  constructor(options: JetStreamBackendOptions = {}) {
    this.options = parseJetStreamOptions(options);
    this.layout = new BucketLayout(this.options.prefix, apiPrefixFor(this.options.jsDomain));
    this.capabilities = {
      ordered: true,
      durable: this.options.bucket.storage === "file",
      compareAndSwap: true,
      history: true,
      ttl: false,
      pushed: true,
      // A stream deleted and created again numbers its messages from 1.
      revisionsRestart: true,
    };
  }

  /** The bucket name, `LATTICEDATA_{prefix}`. */
  get bucket(): string {
    return this.layout.bucket;
  }

  /** True between a successful `open()` and `close()`. */
  get isOpen(): boolean {
    return this.session !== undefined && !this.closed;
  }

  /** True while the NATS connection is up (false before `open()` and after `close()`). */
  get connected(): boolean {
    return this.session?.connection.connected ?? false;
  }

  /**
   * Connects (unless a connection was given), checks that JetStream answers, and finds or creates the
   * bucket. Throws `JetStreamNotEnabledError` (a `ConfigurationError`) when no JetStream answers,
   * `PermissionDeniedError` for refused credentials or subjects, `ConfigurationError` for an unusable
   * bucket, `BackendUnavailableError` when the servers cannot be reached in `openTimeoutMs`.
   */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("the jetstream backend"));
    this.opening ??= this.doOpen().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  /**
   * Starts a feed (see `LatticeBackend.subscribe`): from `from.revision` in the history `from.epoch`, or a
   * snapshot for revision 0. Never throws; problems are reported to the sink.
   */
  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    const session = this.session;
    if (!session || this.closed) {
      const reason = this.closed ? "the jetstream backend is closed" : "the jetstream backend is not open";
      queueMicrotask(() => sink.connection(false, reason));
      return { close: async () => {} };
    }
    const feed: WatchFeed = followBucket(
      {
        nc: session.nc,
        jsm: session.feedJsm,
        snapshotJsm: session.jsm,
        layout: this.layout,
        connection: session.connection,
        contact: session.contact,
        heartbeatMs: this.options.heartbeatMs,
        logger: this.options.logger,
        streamInfo: () => this.feedStreamInfo(session),
        recent: this.recent,
        preferStreamLeader: this.feedsStarted++ > 0,
        streamLeader: () => this.leader,
        onStop: () => this.feeds.delete(feed),
      },
      from,
      sink,
    );
    this.feeds.add(feed);
    return feed;
  }

  /** Writes one entry (see `LatticeBackend.write`). */
  async write(request: WriteRequest): Promise<WriteResult> {
    if (this.closed) throw new ClosedError("the jetstream backend");
    const session = this.session;
    if (!session) throw new BackendUnavailableError(BACKEND, "the backend is not open; call open() first");
    // One deadline for the whole write, the history check included.
    const deadline = Date.now() + this.options.writeDeadlineMs;
    if ((request.expectedRevision ?? 0) > 0 && request.expectedEpoch !== undefined) {
      await this.checkHistory(request, deadline);
    }
    return session.writer.write(request, deadline);
  }

  /**
   * Rule 4 across histories: an expected revision of another history never matches. JetStream has no
   * condition on the stream's identity, so the stream's creation time (the epoch) is checked before the
   * write, once the client has heard everything the server announced before it (one round trip, or a
   * message from the server within one: server-contact.ts): as last read — kept current by the stream's
   * advisories, read again (one STREAM.INFO) after a deleted or created stream was announced, after a
   * reconnection (advisories may have been missed) and when this connection may not receive advisories.
   * What is left is a bucket recreated within that window before the write's arrival at the server.
   */
  private async checkHistory(request: WriteRequest, deadline: number): Promise<void> {
    // A round trip first, unless the server was heard within one: it sends what it announced before our
    // ping ahead of its pong, so a deletion or creation it made before this write is heard now. Bounded like
    // the write itself (a paused or silent server answers no ping); nothing is written when it does not answer.
    const session = this.session;
    if (session === undefined || !session.connection.connected) {
      throw new BackendUnavailableError(
        BACKEND,
        `write ${request.key}: not connected to NATS; nothing was written`,
      );
    }
    if (!session.contact.heardRecently()) {
      const deadlineMs = this.options.writeDeadlineMs;
      const sentAt = performance.now();
      await withTimeout(
        session.nc.flush(),
        deadline - Date.now(),
        () =>
          new BackendUnavailableError(
            BACKEND,
            `write ${request.key}: no answer from NATS within ${deadlineMs} ms; nothing was written`,
          ),
      );
      session.contact.answered(sentAt);
    }
    if (!this.epochCurrent()) await this.head();
    const epoch = this.stream?.created;
    if (epoch !== undefined && !historyAccepts(request.expectedRevision, request.expectedEpoch, epoch)) {
      throw new ConflictError({
        key: request.key,
        expectedRevision: request.expectedRevision ?? 0,
        otherHistory: true,
      });
    }
  }

  /** The epoch last read still holds as far as this backend can tell (see `checkHistory`). */
  private epochCurrent(): boolean {
    const session = this.session;
    if (session === undefined || this.stream === undefined) return false;
    if (session.advisories.access !== "receiving" && session.advisories.access !== "unknown") return false;
    return this.epochReadAt > this.historyDoubtSince && session.connection.changedAt < this.epochReadAt;
  }

  /**
   * The stream's last sequence and creation time: one STREAM.INFO request and nothing else — no feed is
   * restarted or audited, no bucket created (the stream leader it names is recorded for the feeds' audits).
   */
  async head(): Promise<BackendHead> {
    if (this.closed) throw new ClosedError("the jetstream backend");
    const session = this.session;
    if (!session) throw new BackendUnavailableError(BACKEND, "the backend is not open");
    if (!session.connection.connected) {
      throw new BackendUnavailableError(BACKEND, `not connected to NATS (${session.connection.detail})`);
    }
    try {
      const info = this.observe(await session.jsm.streams.info(this.layout.stream));
      return { revision: info.state.last_seq, epoch: info.created };
    } catch (error) {
      if (LatticeCacheError.isInstance(error)) throw error;
      if (isPermissionError(error)) {
        throw new PermissionDeniedError(
          `not allowed to read ${this.layout.stream}'s info: grant $JS.API.STREAM.INFO.${this.layout.stream}`,
          { cause: error },
        );
      }
      if (isStreamNotFound(error)) {
        throw new BackendUnavailableError(BACKEND, `bucket ${this.layout.bucket} not found`, {
          cause: error,
        });
      }
      throw new BackendUnavailableError(BACKEND, `head check failed: ${errorText(error)}`, { cause: error });
    }
  }

  /** The key's latest stored change, read from the stream (see `LatticeBackend.read`). */
  async read(key: string): Promise<BackendEntry | undefined> {
    return readStoredEntry(this.storeAccess(), key);
  }

  /** Purges delete markers older than the cutoff (see `LatticeBackend.compactTombstones`, tombstone-compaction.ts). */
  async compactTombstones(request: CompactionRequest): Promise<CompactionReport> {
    return compactTombstones(this.storeAccess(), request);
  }

  /**
   * Stops every feed and closes the connection (a connection passed in options is left open). Idempotent.
   * Writes already sent get up to `closeGraceMs` for their acknowledgements first, so each resolves or fails
   * with the truth; one still unanswered then fails saying it "may or may not have been applied", and a write
   * not sent yet fails with `CLOSED` (issue 22 item 6).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opening?.catch(() => {});
    const feeds = [...this.feeds];
    this.feeds.clear();
    const session = this.session;
    await Promise.all([
      ...feeds.map((feed) => feed.close()),
      session?.writer.close(this.options.closeGraceMs),
    ]);
    this.session = undefined;
    if (!session) return;
    session.advisories.close();
    await closeSession(session);
  }

  /** Facts for `status()`: servers, bucket, domain, connection — never credentials. */
  describe(): Readonly<Record<string, unknown>> {
    const session = this.session;
    const info = session?.nc.info;
    const config = this.stream?.config;
    return {
      servers: this.options.servers.map(redactUrl),
      bucket: this.layout.bucket,
      stream: this.layout.stream,
      jsDomain: this.options.jsDomain,
      provision: this.options.provision,
      connected: session?.connection.connected ?? false,
      connectedServer: session && info ? redactUrl(session.nc.getServer()) : undefined,
      serverVersion: info?.version,
      serverName: info?.server_name,
      replicas: config?.num_replicas,
      storage: config?.storage,
      history: config?.max_msgs_per_subject,
      unlimitedReconnects: this.options.maxReconnectAttempts === -1,
      streamAdvisories: session?.advisories.access,
    };
  }

  private async doOpen(): Promise<void> {
    const options = this.options;
    const deadline = Date.now() + options.openTimeoutMs;
    const base = await openSession(options);
    try {
      const session: Session = {
        ...base,
        advisories: new StreamAdvisories(base.nc, base.connection, this.layout.stream, options.logger, (a) =>
          this.onAdvisory(a),
        ),
        writer: new KvWriter({
          acks: new AckInbox(base.nc, base.connection, { contact: base.contact }),
          jsm: base.jsm,
          layout: this.layout,
          connection: base.connection,
          deadlineMs: options.writeDeadlineMs,
          logger: options.logger,
          allowDirect: () => this.stream?.config.allow_direct ?? true,
          maxMessageBytes: () => {
            const limits = [this.stream?.config.max_msg_size, base.nc.info?.max_payload].filter(
              (n): n is number => typeof n === "number" && n > 0,
            );
            return limits.length ? Math.min(...limits) : undefined;
          },
        }),
      };
      this.observe(await provisionWithin(session, options, this.layout, deadline, () => this.closed));
      if (this.closed) throw new ClosedError("the jetstream backend");
      this.session = session;
      session.advisories.start();
      options.logger.info(
        {
          bucket: this.layout.bucket,
          server: redactUrl(base.nc.getServer()),
          serverVersion: base.nc.info?.version,
          jsDomain: options.jsDomain,
          reconnects: options.maxReconnectAttempts === -1 ? "unlimited" : options.maxReconnectAttempts,
        },
        "jetstream backend open",
      );
    } catch (error) {
      await closeSession(base);
      throw error;
    }
  }

  private storeAccess(): StoreAccess {
    return openStoreAccess({
      session: this.session,
      closed: this.closed,
      layout: this.layout,
      heartbeatMs: this.options.heartbeatMs,
      jsDomain: this.options.jsDomain,
      allowDirect: () => this.stream?.config.allow_direct ?? true,
    });
  }

  /** A feed's stream info: a bucket that vanished is created again when provisioning allows it. */
  private async feedStreamInfo(session: Session): Promise<StreamInfo> {
    try {
      return this.observe(await session.feedJsm.streams.info(this.layout.stream));
    } catch (error) {
      if (!(isStreamNotFound(error) && this.options.provision === "create")) throw error;
      this.options.logger.warn({ bucket: this.layout.bucket }, "the bucket vanished; creating it again");
      const created = await ensureBucket({
        jsm: session.jsm,
        layout: this.layout,
        settings: this.options.bucket,
        mode: this.options.provision,
        logger: this.options.logger,
      });
      return this.observe(created);
    }
  }

  /**
   * The server announced something about the stream: a new leader (the feeds' audits compare with it), lost
   * quorum, the stream deleted or created. Every feed's replica asks the head once (rule 9).
   */
  private onAdvisory(advisory: StreamAdvisory): void {
    if (advisory.leader !== undefined) this.leader = advisory.leader;
    if (advisory.event === "DELETED" || advisory.event === "CREATED") this.historyDoubtSince = Date.now();
    const reason = `stream advisory ${advisory.event}${advisory.leader ? ` (leader ${advisory.leader})` : ""}`;
    for (const feed of this.feeds) feed.check(reason);
  }

  /** Records what a stream info says (settings for writes and `describe()`, the last known leader). */
  private observe(info: StreamInfo): StreamInfo {
    this.stream = info;
    this.epochReadAt = Date.now();
    // The last known leader: a leaderless moment in between must not hide a change from n1 to n2.
    const leader = info.cluster?.leader;
    if (leader !== undefined) this.leader = leader;
    return info;
  }
}
