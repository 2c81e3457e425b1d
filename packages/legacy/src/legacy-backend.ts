// The generation-1 broadcast as a LatticeBackend: what an old host did, behind the seam. Unordered, not
// durable, no compare-and-swap — lossy by design (rule 12); the capabilities say so.
// Rules cited here: docs/semantics.md#rule-10, #rule-12.
import { randomBytes, randomUUID } from "node:crypto";
import { COLLECTION_NAMES, type CollectionName, collectionOfKey } from "@lattice-cache/core";
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendHead,
  BackendUnavailableError,
  ClosedError,
  errorText,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  InvalidKeyError,
  type LatticeBackend,
  type Logger,
  redactUrl,
  UnsupportedOperationError,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core/backend";
import { parseOptions } from "@lattice-cache/plugin";
import type { Msg, Subscription } from "@nats-io/nats-core";
import { InvalidMessageLog } from "./invalid-message-log.js";
import { publishLegacy } from "./legacy-broadcast.js";
import { subscribeToLegacyChanges } from "./legacy-change-subscriptions.js";
import { type LegacyConnection, openLegacyConnection } from "./legacy-connection.js";
import { answerLegacyGets, type GetResponder } from "./legacy-get-responder.js";
import { headerWith, ORIGIN_HEADER } from "./legacy-headers.js";
import {
  LEGACY_BACKEND_OPTIONS,
  type LegacyBackendOptions,
  type LegacyBackendSettings,
  legacyConfigSection,
} from "./legacy-options.js";
import { requestLegacyList } from "./legacy-requests.js";
import { type LegacySubjects, legacySubjects } from "./legacy-subjects.js";
import { LegacyView, type LegacyViewEntry, toBackendEntry } from "./legacy-view.js";
import { COLLECTION_CODECS, decodeLegacyMessage, type LegacyRecord } from "./legacy-wire-codec.js";

/** What a `LegacyBackend` has seen and done; all counters only grow. */
export interface LegacyBackendCounters {
  /** Valid puts/dels heard on the broadcast subjects and applied. */
  readonly received: number;
  /** Messages (and items of `.get` replies) that were undecodable or invalid, and were skipped. */
  readonly invalid: number;
  /** Puts/dels this backend broadcast (one per write; per-provider copies not counted). */
  readonly published: number;
  /** `.get` requests this backend answered. */
  readonly answeredGets: number;
  /** `.get` requests ignored because their reply subject is not an inbox. */
  readonly refusedGets: number;
  /** Values taken from the start-up `.get` replies. */
  readonly seeded: number;
  /** Start-up `.get` requests nobody answered in time (the collection began empty). */
  readonly unansweredGets: number;
}

interface FeedState {
  readonly sink: FeedSink;
  live: boolean;
  closed: boolean;
}

type MutableCounters = { -readonly [K in keyof LegacyBackendCounters]: LegacyBackendCounters[K] };

/**
 * The generation-1 ("leave as-is") broadcast, spoken exactly as old wasmCloud hosts did: MessagePack puts
 * and dels on `wasmbus.rpc.{prefix}.{claims,refmaps,linkdefs}.*` plus the per-provider link-definition
 * subjects, start-up `.get` requests (2 s, begin empty on timeout), and answers to other hosts' `.get`s.
 *
 * Changes are applied in arrival order and stamped with a local revision; a lost broadcast is lost for
 * good (drift). Use it to run a host as an old host did, or to keep talking to old hosts; migrate with
 * `LegacyBridge` and the `migrateFrom*` functions.
 *
 * Deletes: only link definitions can be deleted (generation 1 has no claims/refmaps delete subject);
 * deleting claims or a reference map throws `UnsupportedOperationError`.
 */
export class LegacyBackend implements LatticeBackend {
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  readonly name = "legacy";
  readonly capabilities: BackendCapabilities = {
    ordered: false,
    durable: false,
    compareAndSwap: false,
    history: false,
    ttl: false,
    pushed: true,
    // Unordered: revisions are each host's arrival counters, not the store's.
    revisionsRestart: false,
  };
  /** The generation-1 subjects in use. */
  readonly subjects: LegacySubjects;

  private readonly options: LegacyBackendSettings;
  private readonly logger: Logger;
  private readonly hostId: string;
  private readonly instanceId = randomUUID();
  private readonly epoch = randomUUID();
  private readonly view = new LegacyView();
  private readonly feeds = new Set<FeedState>();
  private readonly counts: MutableCounters = {
    received: 0,
    invalid: 0,
    published: 0,
    answeredGets: 0,
    refusedGets: 0,
    seeded: 0,
    unansweredGets: 0,
  };
  private readonly invalidLog: InvalidMessageLog;
  private connection: LegacyConnection | undefined;
  private opening: Promise<void> | undefined;
  private subscriptions: Subscription[] = [];
  private responder: GetResponder | undefined;
  /** Keys changed by live traffic while the start-up snapshot was being gathered: the snapshot must not revert them. */
  private touchedWhileSeeding: Set<string> | undefined = new Set();
  private seeded: Promise<void> | undefined;
  private closed = false;

  /** @throws ConfigurationError naming the bad options as `lattice` names its settings (`nats.servers …`) */
  constructor(options: LegacyBackendOptions = {}) {
    this.options = parseOptions(LEGACY_BACKEND_OPTIONS, options, legacyConfigSection);
    this.subjects = legacySubjects(this.options.prefix);
    this.logger = this.options.logger;
    this.hostId = this.options.hostId ?? `host-${randomBytes(4).toString("hex")}`;
    this.invalidLog = new InvalidMessageLog(this.logger, "generation-1 message");
  }

  /** A snapshot of the counters (for metrics). */
  get counters(): LegacyBackendCounters {
    return { ...this.counts };
  }

  /** Connects, starts listening to the broadcast subjects and sends the start-up `.get`s (in the background). */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("the legacy backend"));
    this.opening ??= this.connect();
    return this.opening;
  }

  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    const feed: FeedState = { sink, live: false, closed: false };
    this.feeds.add(feed);
    const start = this.seeded ?? Promise.reject(new ClosedError("the legacy backend (not opened)"));
    start.then(
      () => this.startFeed(feed, from.revision),
      (error: unknown) => {
        if (!feed.closed) feed.sink.gap(`the legacy backend cannot start a feed: ${errorText(error)}`);
      },
    );
    return {
      close: async () => {
        feed.closed = true;
        this.feeds.delete(feed);
      },
    };
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    const connection = this.usableConnection();
    if (request.expectedRevision !== undefined) {
      throw new UnsupportedOperationError(
        "conditional writes (expectedRevision): the generation-1 broadcast has no compare-and-swap",
        this.name,
      );
    }
    const collection = collectionOfKey(request.key);
    if (collection === undefined) {
      throw new InvalidKeyError(request.key, "not a key of linkdefs, claims or refmaps");
    }
    // Rule 10 first: while partitioned every write fails fast as unavailable, whatever else is wrong with it.
    connection.assertConnected();
    let entry: LegacyViewEntry;
    if (request.value !== null) {
      // Generation 1 carries structured values, not bytes: what cannot be decoded cannot be sent.
      const value = COLLECTION_CODECS[collection].decode(request.value, request.key);
      const record = { collection, key: request.key, value } as LegacyRecord;
      publishLegacy(connection.nc, this.subjects, { operation: "put", record }, this.ownHeaders());
      this.counts.published += 1;
      entry = this.view.put(record, request.origin);
    } else {
      entry = this.deleteKey(connection, collection, request.key, request.origin);
    }
    this.deliver(entry);
    // Fire and forget on the wire, but a resolved write at least reached the server.
    await connection.flush(this.options.publishTimeoutMs);
    return { revision: entry.revision };
  }

  async head(): Promise<BackendHead> {
    const connection = this.usableConnection();
    if (!connection.connected) {
      throw new BackendUnavailableError(this.name, "not connected to NATS");
    }
    return { revision: this.view.revision, epoch: this.epoch };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const feed of this.feeds) feed.closed = true;
    this.feeds.clear();
    this.responder?.close();
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    await this.opening?.catch(() => {});
    await this.connection?.close();
  }

  describe(): Readonly<Record<string, unknown>> {
    return {
      protocol: "generation-1 broadcast (unordered, lossy)",
      prefix: this.subjects.prefix,
      servers: this.options.connection ? "(borrowed connection)" : this.options.servers.map(redactUrl),
      connected: this.connection?.connected ?? false,
      seeded: this.touchedWhileSeeding === undefined,
      answerGets: this.options.answerGets,
      entries: this.view.size,
      revision: this.view.revision,
      counters: this.counters,
    };
  }

  private async connect(): Promise<void> {
    const connection = await openLegacyConnection(this.options, {
      label: this.name,
      name: `lattice-cache legacy backend ${this.hostId}`,
      noEcho: true,
      logger: this.logger,
    });
    if (this.closed) {
      await connection.close();
      throw new ClosedError("the legacy backend");
    }
    this.connection = connection;
    connection.onConnection((up, detail) => {
      for (const feed of this.feeds) if (feed.live && !feed.closed) feed.sink.connection(up, detail);
    });
    this.subscriptions.push(
      ...subscribeToLegacyChanges(connection.nc, this.subjects, (collection, operation, msg) =>
        this.onBroadcast(collection, operation, msg),
      ),
    );
    await connection.nc.flush();
    this.seeded = this.seed(connection);
    this.seeded.catch(() => {});
  }

  private onBroadcast(collection: CollectionName, operation: "put" | "del", msg: Msg): void {
    if (this.closed) return;
    // Only relevant on a borrowed connection, where noEcho is not ours to set.
    if (msg.headers?.get(ORIGIN_HEADER) === this.instanceId) return;
    const decoded = decodeLegacyMessage(collection, msg.data);
    if (!decoded.ok) {
      this.counts.invalid += 1;
      this.invalidLog.report(msg.subject, decoded.reason);
      return;
    }
    const record = decoded.record;
    this.counts.received += 1;
    this.touchedWhileSeeding?.add(record.key);
    if (operation === "put") {
      if (this.view.holds(record)) return;
      this.deliver(this.view.put(record));
    } else {
      if (this.view.get(record.key)?.record === undefined) return;
      this.deliver(this.view.delete(record.key, record));
    }
  }

  /** The start-up `.get`s of an old host: one request per collection, first reply wins, empty on timeout. */
  private async seed(connection: LegacyConnection): Promise<void> {
    const timeoutMs = this.options.getTimeoutMs;
    const replies = await Promise.all(
      COLLECTION_NAMES.map((c) => requestLegacyList(connection.nc, this.subjects, c, timeoutMs)),
    );
    const touched = this.touchedWhileSeeding ?? new Set<string>();
    this.touchedWhileSeeding = undefined;
    for (const reply of replies) {
      if (!reply.answered) {
        this.counts.unansweredGets += 1;
        this.logger.info(
          { collection: reply.collection, reason: reply.detail },
          "no answer to the start-up .get; beginning this collection empty",
        );
      }
      if (reply.invalid > 0) {
        this.counts.invalid += reply.invalid;
        this.invalidLog.report(this.subjects.of(reply.collection, "get"), reply.detail);
      }
      for (const record of reply.records) {
        // A broadcast heard while asking is newer than any snapshot taken before it.
        if (touched.has(record.key) || this.view.holds(record)) continue;
        this.counts.seeded += 1;
        this.deliver(this.view.put(record));
      }
    }
    if (this.closed) return;
    if (this.options.answerGets) {
      // Joined only now: answering a starting host with a half-empty state would hand it our gap.
      this.responder = answerLegacyGets(connection.nc, this.subjects, {
        recordsOf: (c) => this.view.liveRecords(c),
        onAnswered: () => {
          this.counts.answeredGets += 1;
        },
        onRefused: () => {
          this.counts.refusedGets += 1;
        },
        logger: this.logger,
      });
    }
    this.logger.info({ entries: this.view.size, revision: this.view.revision }, "legacy state seeded");
  }

  private startFeed(feed: FeedState, afterRevision: number): void {
    if (feed.closed) return;
    if (afterRevision > this.view.revision) {
      feed.sink.gap(
        `revision ${afterRevision} is beyond this legacy backend's local revision ${this.view.revision}`,
      );
      return;
    }
    // Synchronous from here on: no broadcast can slip between the snapshot and going live.
    for (const entry of this.view.since(afterRevision)) feed.sink.entry(toBackendEntry(entry));
    feed.sink.synced({ revision: this.view.revision, epoch: this.epoch });
    feed.live = true;
    if (this.connection && !this.connection.connected) feed.sink.connection(false, "not connected to NATS");
  }

  private deliver(entry: LegacyViewEntry): void {
    const backendEntry = toBackendEntry(entry);
    for (const feed of this.feeds) if (feed.live && !feed.closed) feed.sink.entry(backendEntry);
  }

  private deleteKey(
    connection: LegacyConnection,
    collection: CollectionName,
    key: string,
    origin: string,
  ): LegacyViewEntry {
    if (collection !== "linkdefs") {
      throw new UnsupportedOperationError(
        `deleting ${collection}: the generation-1 protocol has no ${collection}.del subject, so old hosts ` +
          `can never forget ${collection} (only link definitions can be deleted)`,
        this.name,
      );
    }
    const shape = this.view.get(key)?.lastKnown;
    if (shape?.collection === "linkdefs") {
      // A delete carries the full link definition; the key alone (a hash) would mean nothing to old hosts.
      publishLegacy(connection.nc, this.subjects, { operation: "del", record: shape }, this.ownHeaders());
      this.counts.published += 1;
    } else {
      this.logger.debug({ key }, "deleting a link definition this host never heard of: nothing to broadcast");
    }
    return this.view.delete(key, shape, origin);
  }

  private ownHeaders() {
    return this.connection?.owned ? undefined : headerWith(ORIGIN_HEADER, this.instanceId);
  }

  private usableConnection(): LegacyConnection {
    if (this.closed) throw new ClosedError("the legacy backend");
    if (!this.connection) throw new BackendUnavailableError(this.name, "not opened (call open() first)");
    return this.connection;
  }
}
