// The backend feed's transport: a snapshot of the bucket (last message per key, tombstones included), a
// barrier, then live changes — from one push consumer on the KV stream that this module recreates whenever
// deliveries are lost, a cluster server leaves, the connection comes back, heartbeats stop, or the stream's
// leader moved (a history audit, see history-audit.ts). Where the feed is, which history it belongs to, the
// history proof, gaps, connection reports and `synced` are core's FeedProtocol.
//
// Why not `kv.watch()`: its `isUpdate` is off by one, it yields nothing (and no barrier) for an empty
// bucket, and after a node loss it can stay silent for 60–90 s, waiting for two missed 30 s heartbeats. Here
// the barrier is the stream's last sequence read before the consumer exists, and a dead consumer is replaced
// on the cluster's own word (a server left, a leader was elected) — the heartbeat, as long as a watch's so
// that an idle host costs the server no more, is only the last resort.
// Rules cited here: docs/semantics.md#rule-8, #rule-9.
import {
  Backoff,
  type BackoffPolicy,
  errorText,
  type FeedPosition,
  FeedProtocol,
  type FeedSink,
  type FeedSubscription,
  type Logger,
  type RecentDeliveries,
} from "@lattice-cache/core/backend";
import type { ConsumerConfig, ConsumerInfo, JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import {
  createInbox,
  type Msg,
  type NatsConnection,
  nanos,
  nuid,
  type Subscription,
} from "@nats-io/nats-core";
import type { BucketLayout } from "./bucket-layout.js";
import type { ConnectionState } from "./connection-state.js";
import { parseDeliveryInfo } from "./delivery-info.js";
import { HistoryAudit } from "./history-audit.js";
import { toBackendEntry } from "./kv-message.js";
import { isPermissionError, isStreamNotFound } from "./nats-errors.js";
import type { ServerContact } from "./server-contact.js";

/** What a feed needs from its backend. */
export interface FeedEnvironment {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /**
   * The API with the backend's longer timeout, for a snapshot's consumer: on a bucket of a million keys the
   * server takes 1–6 s to set one up, and a feed that gave up after the short timeout retried forever.
   */
  readonly snapshotJsm: JetStreamManager;
  readonly layout: BucketLayout;
  readonly connection: ConnectionState;
  /** Told of every message the feed receives (the server was heard). */
  readonly contact?: ServerContact;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  /** The bucket's stream info; creates the bucket again when it vanished and provisioning allows it. */
  readonly streamInfo: () => Promise<StreamInfo>;
  /** What the backend's feeds delivered last, shared so a feed that replaces another can prove its history. */
  readonly recent: RecentDeliveries;
  /** Place the consumer on the stream leader (a feed that replaces a stalled or failed one; see `misplaced`). */
  readonly preferStreamLeader: boolean;
  /** The stream leader the backend observed last (any stream info), if any. */
  readonly streamLeader: () => string | undefined;
  /** Called once when the feed stops for good (closed, or after a gap). */
  readonly onStop?: () => void;
}

/** Pauses between failed consumer creations: 250 ms doubling to 2 s, half jittered. */
const ESTABLISH_RETRY: BackoffPolicy = { baseMs: 250, maxMs: 2_000, jitter: 0.5 };
/** How often a feed that prefers the stream leader deletes a consumer placed elsewhere and tries again. */
const MAX_PLACEMENT_ATTEMPTS = 4;
/**
 * How long an initial sync may chase a stream end that keeps moving, or run on a consumer off the stream
 * leader, before its consumer is replaced (at least two heartbeats).
 */
const SYNC_PATIENCE_MS = 5_000;

/**
 * For this long after a cluster server went missing (unless it is back sooner), a replacement consumer stays
 * wherever it was placed: the cluster keeps placing consumers on a server it has not yet noticed is dead, and
 * each such try costs the feed its API timeout — moving to the stream leader meanwhile only adds tries.
 */
const NODE_LOSS_PLACEMENT_MS = 30_000;
/** At most one consumer replacement per feed for servers leaving the cluster in this time. */
const NODE_LOSS_GAP_MS = 5_000;
/** Replacements after a server left are spread over this time across a lattice's hosts. */
const NODE_LOSS_SPREAD_MS = 1_000;

/** One running feed. Created by `JetStreamBackend.subscribe`; never throws, retries by itself. */
export class KvFeed implements FeedSubscription {
  private readonly protocol: FeedProtocol;
  private readonly retry = new Backoff(ESTABLISH_RETRY);
  private readonly audit = new HistoryAudit();
  private generation = 0;
  private consumerSequence = 0;
  private syncAtConsumerSequence: number | undefined;
  /** The stream position the feed must pass before asking whether it has caught up (rule 8). */
  private target = 0;
  /** How far the current consumer says it went (heartbeats), deleted messages included. */
  private serverPosition = 0;
  private confirming = false;
  private confirmAgain = false;
  private consumerName: string | undefined;
  /** Consumers deleted in a row for being placed off the stream leader. */
  private placements = 0;
  /** Since when the initial sync has been past its target while the stream's end kept moving. */
  private chasingSince: number | undefined;
  /** Where the current consumer lives (cluster only) and since when. */
  private consumerNode: string | undefined;
  /** The stream is replicated across a cluster: a consumer may live on another server than the connection. */
  private clustered = false;
  private consumerCreatedAt = 0;
  /** {@link SYNC_PATIENCE_MS}, or two heartbeats when that is longer. */
  private readonly syncPatienceMs: number;
  private subscription: Subscription | undefined;
  private inbox = "";
  private lastActivity = Date.now();
  private establishing = false;
  private establishAgain: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private readonly unlisten: () => void;
  private readonly unlistenErrors: () => void;
  private readonly unlistenServersLeft: () => void;
  /** When the consumer was last replaced because cluster servers left (at most one per {@link NODE_LOSS_GAP_MS}). */
  private lastNodeLossAt = Number.NEGATIVE_INFINITY;
  private nodeLossTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly env: FeedEnvironment,
    from: FeedPosition,
    sink: FeedSink,
  ) {
    this.protocol = new FeedProtocol({
      from,
      sink,
      recent: env.recent,
      store: `bucket ${env.layout.bucket}`,
      logger: env.logger,
      onStop: () => this.release(),
    });
    this.syncPatienceMs = Math.max(SYNC_PATIENCE_MS, env.heartbeatMs * 2);
    this.unlisten = env.connection.onChange((up, detail) => {
      if (this.stopped) return;
      if (up) this.establish(`connection restored (${detail})`);
      else this.protocol.report(false, detail);
    });
    // Flow control replies go to `$JS.FC.…`: a host without the right to publish there stalls on the first
    // flow-control request, silently. The server says why on the connection; say it on the feed.
    this.unlistenErrors = env.connection.onError((error) => {
      if (this.stopped || !/permission/i.test(error.message) || !/\$JS\.FC\./.test(error.message)) return;
      this.protocol.report(
        false,
        `permission denied: ${error.message} (the feed needs to publish to $JS.FC.>)`,
      );
    });
    // A cluster server left: the consumer may have lived there, and a dead consumer sends nothing — not
    // even heartbeats until two are missed. Replace it (a resume with the history proof), spread over up to
    // a second so a lattice's hosts do not all ask at once, and have the replica compare with the head.
    this.unlistenServersLeft = env.connection.onServersLeft((detail) => this.serversLeft(detail));
    // Two missed heartbeats (plus slack for a busy machine) mean the consumer is gone or stuck.
    const silenceMs = env.heartbeatMs * 2 + 1000;
    this.watchdog = setInterval(() => this.tick(silenceMs), Math.min(env.heartbeatMs, 1000));
    this.watchdog.unref();
    queueMicrotask(() => this.establish("start"));
  }

  /** Something happened to the stream (an advisory): the replica compares with the head once. */
  signal(reason: string): void {
    this.protocol.check(reason);
  }

  /** Stops delivery, removes the consumer (best effort) and the listeners. */
  async close(): Promise<void> {
    this.protocol.stop();
  }

  private get stopped(): boolean {
    return this.protocol.stopped;
  }

  /** Once, when the protocol stops (closed, or a gap): releases everything. */
  private release(): void {
    clearInterval(this.watchdog);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.nodeLossTimer) clearTimeout(this.nodeLossTimer);
    this.unlisten();
    this.unlistenErrors();
    this.unlistenServersLeft();
    this.dropConsumer();
    this.env.onStop?.();
  }

  private serversLeft(detail: string): void {
    // Outside a cluster the consumer lives on the server this connection uses: its loss is a disconnection.
    // In one, a consumer being created may have been placed on the server that left, just before it died:
    // it is replaced once created (establish() queues the request), so clustered is enough to act.
    if (this.stopped || !this.clustered || this.nodeLossTimer !== undefined) return;
    const now = Date.now();
    if (now - this.lastNodeLossAt < NODE_LOSS_GAP_MS) return;
    this.lastNodeLossAt = now;
    this.protocol.check(detail);
    this.nodeLossTimer = setTimeout(
      () => {
        this.nodeLossTimer = undefined;
        this.establish(`${detail}: the consumer may have lived there`);
      },
      Math.floor(Math.random() * NODE_LOSS_SPREAD_MS),
    );
    this.nodeLossTimer.unref();
  }

  /** The watchdog: a silent consumer, a slow sync off the leader, a due history audit — in that order. */
  private tick(silenceMs: number): void {
    if (this.stopped || this.establishing || !this.subscription || !this.env.connection.connected) return;
    const silent = Date.now() - this.lastActivity;
    if (silent > silenceMs) {
      const reason = `no heartbeat from the consumer for ${silent} ms`;
      this.protocol.check(reason);
      this.establish(reason);
      return;
    }
    if (this.checkSyncPlacement()) return;
    const audit = this.audit.check(this.env.streamLeader());
    // Nothing delivered yet: nothing the stream could have rewritten.
    if (audit !== undefined && this.protocol.position > 0) {
      this.establish(`${audit}: checking the delivered history`);
    }
  }

  /** (Re)creates the consumer after the position. Coalesces overlapping requests. */
  private establish(reason: string): void {
    if (this.stopped) return;
    if (this.establishing) {
      this.establishAgain = reason;
      return;
    }
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.establishing = true;
    if (reason !== "start")
      this.env.logger.debug({ reason, position: this.protocol.position }, "recreating the feed consumer");
    void this.createConsumer()
      .catch((error: unknown) => this.onEstablishFailed(error))
      .finally(() => {
        this.establishing = false;
        const again = this.establishAgain;
        this.establishAgain = undefined;
        if (again !== undefined && !this.stopped) this.establish(again);
      });
  }

  private async createConsumer(): Promise<void> {
    this.dropConsumer();
    const generation = ++this.generation;
    if (!this.env.connection.connected) {
      // The connection listener establishes again on reconnect.
      this.protocol.report(false, this.env.connection.detail || "not connected");
      return;
    }
    const asOf = this.protocol.position;
    const info = await this.env.streamInfo();
    if (this.stopped || generation !== this.generation) return;
    // Rule 9: another history (a recreated bucket: always a gap, in a snapshot too) or one behind the feed.
    if (!this.protocol.acceptHead({ revision: info.state.last_seq, epoch: info.created }, asOf)) return;
    if (!this.protocol.synced) this.target = Math.max(this.target, info.state.last_seq);
    this.clustered = info.cluster !== undefined;
    const position = this.protocol.position;
    this.serverPosition = position;

    this.inbox = createInbox();
    this.chasingSince = undefined;
    this.consumerSequence = 0;
    this.syncAtConsumerSequence = undefined;
    // Subscribe before the consumer exists: a push consumer starts delivering at once.
    this.subscription = this.env.nc.subscribe(this.inbox, {
      callback: (error, msg) => {
        // A throwing callback would end the subscription inside the client: contain it (the replica's
        // sink does not throw; this guards the feed against a faulty one) and go on with the next message.
        try {
          this.onMessage(generation, error, msg);
        } catch (thrown) {
          this.env.logger.error({ err: thrown }, "the feed's sink threw");
        }
      },
    });
    const name = `lattice_${nuid.next()}`;
    this.consumerName = name;
    const config: Partial<ConsumerConfig> = {
      name,
      deliver_subject: this.inbox,
      filter_subject: this.env.layout.filterSubject,
      ack_policy: "none",
      replay_policy: "instant",
      flow_control: true,
      idle_heartbeat: nanos(this.env.heartbeatMs),
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(Math.max(30_000, this.env.heartbeatMs * 4)),
      ...(position === 0
        ? // One message per key kept: every message is its key's last, and "all" is the same snapshot, which
          // the server sets up several times faster than "last per subject" (1.1 s against 4.5–6 s at 1M keys).
          {
            deliver_policy:
              info.config.max_msgs_per_subject === 1 ? ("all" as const) : ("last_per_subject" as const),
          }
        : {
            // From the oldest unproven delivery: the replay up to the position is the history proof.
            deliver_policy: "by_start_sequence" as const,
            opt_start_seq: this.protocol.proofStart(),
          }),
    };
    this.lastActivity = Date.now();
    this.protocol.replayingProof();
    const api = position === 0 ? this.env.snapshotJsm : this.env.jsm;
    const created = await api.consumers.add(this.env.layout.stream, config);
    if (this.stopped || generation !== this.generation) {
      this.env.jsm.consumers.delete(this.env.layout.stream, name).catch(() => {});
      return;
    }
    this.retry.reset();
    this.lastActivity = Date.now();
    if (info.cluster !== undefined && this.misplaced(name, info, created)) return;
    this.consumerNode = created.cluster?.leader;
    this.consumerCreatedAt = Date.now();
    this.audit.consumerCreated(info.cluster?.leader ?? this.env.streamLeader());
    this.protocol.report(true, "feed consumer ready");
    if (!this.protocol.synced && created.num_pending === 0) {
      // Nothing was pending when the consumer was made: once what it already sent is in, ask.
      this.syncAtConsumerSequence = created.delivered.consumer_seq;
      this.maybeCaughtUp(false);
    }
  }

  /**
   * An initial sync (or resync) that has not finished after {@link SYNC_PATIENCE_MS} on a consumer
   * that is not on the stream leader (or whose leader is unknown) is moved: a follower that lags or stopped
   * following can trickle messages for as long as others write, and a snapshot there never catches up.
   * True when the consumer is being replaced.
   */
  private checkSyncPlacement(): boolean {
    if (this.protocol.synced || this.consumerNode === undefined) return false;
    const leader = this.env.streamLeader();
    if (leader === this.consumerNode) return false;
    const running = Date.now() - this.consumerCreatedAt;
    if (running <= this.syncPatienceMs) return false;
    this.establish(
      `the initial sync on ${this.consumerNode} has not finished after ${running} ms; the stream leader is ${leader ?? "unknown"}`,
    );
    return true;
  }

  /**
   * nats-server 2.9 places an R1 consumer on a random peer of the stream. After a cluster incident a
   * follower can stop following (seen after the double node loss: consumers there deliver nothing, while the
   * stream info still calls the node current), so a consumer that replaces a stalled or failed one — in this
   * feed or in the one before — asks for the stream leader: placed elsewhere, it is deleted and created
   * again, up to {@link MAX_PLACEMENT_ATTEMPTS} times — except while a server that left is still missing
   * (for {@link NODE_LOSS_PLACEMENT_MS}): a live placement is kept then. True when the consumer was dropped to
   * be placed again.
   */
  private misplaced(name: string, info: StreamInfo, created: ConsumerInfo): boolean {
    const node = created.cluster?.leader;
    const leader = info.cluster?.leader ?? this.env.streamLeader();
    // The feed's first consumer goes where the server puts it (spreading load); every replacement recovers
    // from something and prefers the leader.
    const retry =
      (this.env.preferStreamLeader || this.generation > 1) &&
      node !== undefined &&
      leader !== undefined &&
      node !== leader &&
      this.placements < MAX_PLACEMENT_ATTEMPTS &&
      !this.nodeLossUnderway();
    this.env.logger.debug(
      {
        consumer: name,
        node,
        streamLeader: leader,
        startSequence: created.config.opt_start_seq,
        pending: created.num_pending,
        placedAgain: retry,
      },
      "feed consumer placed",
    );
    if (!retry) {
      this.placements = 0;
      return false;
    }
    this.placements += 1;
    this.dropConsumer();
    this.establishAgain ??= `consumer placed on ${node}, not on the stream leader ${leader}`;
    return true;
  }

  /** A cluster server went missing less than {@link NODE_LOSS_PLACEMENT_MS} ago and is not back. */
  private nodeLossUnderway(): boolean {
    const since = this.env.connection.serverMissingSince;
    return since !== undefined && Date.now() - since < NODE_LOSS_PLACEMENT_MS;
  }

  private onEstablishFailed(error: unknown): void {
    if (this.stopped) return;
    this.dropConsumer();
    const delay = this.retry.next();
    let detail: string;
    if (isStreamNotFound(error)) detail = `bucket ${this.env.layout.bucket} not found`;
    else if (isPermissionError(error)) detail = `permission denied: ${errorText(error)}`;
    else detail = `feed consumer could not be created: ${errorText(error)}`;
    this.protocol.report(false, detail);
    const failures = this.retry.failures;
    if (failures === 1 || failures % 20 === 0)
      this.env.logger.warn({ err: error, attempts: failures }, `${detail}; retrying`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.establish("retry");
    }, delay);
    this.retryTimer.unref();
  }

  private onMessage(generation: number, error: Error | null, msg: Msg): void {
    if (this.stopped || generation !== this.generation) return;
    if (error) {
      this.onEstablishFailed(error);
      return;
    }
    this.lastActivity = Date.now();
    this.env.contact?.heard();
    if (msg.subject === this.inbox) {
      this.onStatus(msg);
      return;
    }
    const delivery = parseDeliveryInfo(msg.reply);
    if (!delivery) return;
    if (delivery.consumerSequence !== this.consumerSequence + 1) {
      // Deliveries were lost (slow consumer, a server hiccup): resume after what we have.
      this.establish(`delivery gap: expected ${this.consumerSequence + 1}, got ${delivery.consumerSequence}`);
      return;
    }
    this.consumerSequence = delivery.consumerSequence;
    this.deliver(delivery.streamSequence, msg, delivery.storedAt);
    if (!this.protocol.synced) this.maybeCaughtUp(delivery.pending === 0);
  }

  /** One stored message, in stream order: a replay up to the position is the history proof; later ones are new. */
  private deliver(revision: number, msg: Msg, storedAt: number | undefined): void {
    const change = toBackendEntry(this.env.layout, msg.subject, revision, msg.headers, msg.data, storedAt);
    if (change === undefined) return;
    if (revision <= this.protocol.position) {
      this.protocol.checkStored(revision, change);
      return;
    }
    this.protocol.liveEntry(change, change);
  }

  private onStatus(msg: Msg): void {
    const code = msg.headers?.code ?? 0;
    const description = (msg.headers?.description ?? "").toLowerCase();
    if (code === 100 && description.includes("flow")) {
      if (msg.reply) msg.respond();
      return;
    }
    if (code === 100) {
      // A heartbeat says how far the server delivered; if that is past us, deliveries were lost.
      const stalled = msg.headers?.get("Nats-Consumer-Stalled");
      if (stalled) this.env.nc.publish(stalled);
      const lastDelivered = Number(msg.headers?.get("Nats-Last-Consumer") ?? "0");
      if (lastDelivered > this.consumerSequence) {
        this.establish(`heartbeat reports delivery ${lastDelivered}, last received ${this.consumerSequence}`);
        return;
      }
      // An idle consumer has passed everything up to its last stream position, deleted messages included
      // (a snapshot whose tail was purged never gets a delivery that reaches the target).
      const passed = Number(msg.headers?.get("Nats-Last-Stream") ?? "0");
      if (Number.isSafeInteger(passed)) this.serverPosition = Math.max(this.serverPosition, passed);
      if (!this.protocol.synced && !stalled) this.maybeCaughtUp(true);
      return;
    }
    if (code >= 400) this.establish(`consumer status ${code} ${description}`);
  }

  /**
   * Rule 8's barrier. Reaching the sequence read before subscribing is not enough: with one revision per
   * key kept, a key's message below it can be replaced by a newer one before the consumer gets there, and
   * that newer one must be in the snapshot too. So once the feed has passed its target (or the server
   * hints it is done: "0 pending", an idle heartbeat — hints only, 2.9 can say "0 pending" early), the
   * stream's current last sequence is read: at or below our position means caught up; otherwise it
   * becomes the next target.
   */
  private maybeCaughtUp(hint: boolean): void {
    if (this.protocol.synced || this.stopped) return;
    const position = Math.max(this.protocol.position, this.serverPosition);
    const creationBarrier =
      this.syncAtConsumerSequence !== undefined && this.consumerSequence >= this.syncAtConsumerSequence;
    if (!hint && !creationBarrier && position < this.target) return;
    if (this.confirming) {
      this.confirmAgain = true;
      return;
    }
    this.confirming = true;
    void this.confirmCaughtUp().finally(() => {
      this.confirming = false;
      if (this.confirmAgain && !this.protocol.synced) {
        this.confirmAgain = false;
        this.maybeCaughtUp(true);
      }
    });
  }

  private async confirmCaughtUp(): Promise<void> {
    let info: StreamInfo;
    // Deliveries go on while the info is on its way: it is compared with the position it was asked at.
    const asOf = this.protocol.position;
    try {
      info = await this.env.streamInfo();
    } catch (error) {
      // Asked again on the next delivery or heartbeat.
      this.env.logger.debug({ err: error }, "could not read the stream's end during the initial sync");
      return;
    }
    if (this.protocol.synced || this.stopped) return;
    const end = info.state.last_seq;
    // The bucket recreated during the initial sync: a gap, never a snapshot of two histories.
    if (!this.protocol.acceptHead({ revision: end, epoch: info.created }, asOf)) return;
    const position = Math.max(this.protocol.position, this.serverPosition);
    if (end <= position) {
      // Caught up with the stream's end: everything up to our position is held.
      this.protocol.markSynced(position);
      return;
    }
    // Past the last target and the end moved on again: chasing it. A consumer that lags the stream (a
    // follower that stopped following) chases forever while others write; after a while, replace it — the
    // replacement asks for the stream leader (see `misplaced`).
    if (position >= this.target) {
      const now = Date.now();
      this.chasingSince ??= now;
      if (now - this.chasingSince > this.syncPatienceMs) {
        this.establish(
          `the initial sync chased the stream's end for ${now - this.chasingSince} ms (at ${position}, end ${end}): the consumer lags`,
        );
        return;
      }
    }
    this.target = Math.max(this.target, end);
  }

  private dropConsumer(): void {
    this.consumerNode = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    const name = this.consumerName;
    this.consumerName = undefined;
    if (name !== undefined && this.env.connection.connected) {
      this.env.jsm.consumers.delete(this.env.layout.stream, name).catch(() => {});
    }
  }
}
