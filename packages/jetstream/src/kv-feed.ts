// The backend feed: core's `followWatch` over one push consumer on the KV stream. What is left here is the
// consumer and its flow control: an ordered push consumer (a snapshot — every message, or the last per key —
// or a replay from the history proof's start), replaced when deliveries skip, heartbeats report deliveries
// never received or a status says it is gone; flow-control requests answered, stalls released. Where it is
// placed, and when it moves, is consumer-placement.ts; where the feed is, the barrier, gaps, retries,
// silence and `synced` are core's.
//
// Why not `kv.watch()`: its `isUpdate` is off by one, it yields nothing (and no barrier) for an empty
// bucket, and after a node loss it can stay silent for 60–90 s, waiting for two missed 30 s heartbeats. Here
// the barrier is the stream's last sequence read before the consumer exists, and a dead consumer is replaced
// on the cluster's own word (a server left, a leader was elected) — the heartbeat, as long as a watch's so
// that an idle host costs the server no more, is only the last resort.
// Rules cited here: docs/semantics.md#rule-8, #rule-9.
import {
  type BackendHead,
  type BackoffPolicy,
  DEFAULT_SYNC_PATIENCE_MS,
  errorText,
  type FeedPosition,
  type FeedSink,
  followWatch,
  type RecentDeliveries,
  type WatchEvents,
  type WatchFeed,
  type WatchSignals,
  type WatchStart,
  type WatchState,
  type WatchTransport,
} from "@lattice-cache/core/backend";
import type { ConsumerConfig, JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import {
  createInbox,
  type Msg,
  type NatsConnection,
  nanos,
  nuid,
  type Subscription,
} from "@nats-io/nats-core";
import type { BucketLayout } from "./bucket-layout.js";
import { ConsumerPlacement, type PlacementEnvironment } from "./consumer-placement.js";
import { parseDeliveryInfo } from "./delivery-info.js";
import { toBackendEntry } from "./kv-message.js";
import { isPermissionError, isStreamNotFound } from "./nats-errors.js";
import type { ServerContact } from "./server-contact.js";

/** What a feed needs from its backend. */
export interface FeedEnvironment extends PlacementEnvironment {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /**
   * The API with the backend's longer timeout, for a snapshot's consumer: on a bucket of a million keys the
   * server takes 1–6 s to set one up, and a feed that gave up after the short timeout retried forever.
   */
  readonly snapshotJsm: JetStreamManager;
  readonly layout: BucketLayout;
  /** Told of every message the feed receives (the server was heard). */
  readonly contact?: ServerContact;
  readonly heartbeatMs: number;
  /** The bucket's stream info; creates the bucket again when it vanished and provisioning allows it. */
  readonly streamInfo: () => Promise<StreamInfo>;
  /** What the backend's feeds delivered last, shared so a feed that replaces another can prove its history. */
  readonly recent: RecentDeliveries;
  /** Called once when the feed stops for good (closed, or after a gap). */
  readonly onStop?: () => void;
}

/** Pauses between failed consumer creations: 250 ms doubling to 2 s, half jittered. */
const ESTABLISH_RETRY: BackoffPolicy = { baseMs: 250, maxMs: 2_000, jitter: 0.5 };

/** Starts one feed (see the file comment). Created by `JetStreamBackend.subscribe`; never throws. */
export function followBucket(env: FeedEnvironment, from: FeedPosition, sink: FeedSink): WatchFeed {
  // How long an initial sync may chase a stream end that keeps moving, or run on a consumer off the stream
  // leader, before its consumer is replaced: core's default, and at least two heartbeats.
  const syncPatienceMs = Math.max(DEFAULT_SYNC_PATIENCE_MS, env.heartbeatMs * 2);
  return followWatch({
    from,
    sink,
    recent: env.recent,
    store: `bucket ${env.layout.bucket}`,
    logger: env.logger,
    onStop: env.onStop,
    retry: ESTABLISH_RETRY,
    // Stream sequences skip what the stream no longer holds (a key's older messages, purges).
    revisions: "increasing",
    // Two missed heartbeats (plus slack for a busy machine) mean the consumer is gone or stuck.
    silenceMs: env.heartbeatMs * 2 + 1000,
    tickMs: Math.min(env.heartbeatMs, 1000),
    syncPatienceMs,
    describeError: (error) => {
      if (isStreamNotFound(error)) return `bucket ${env.layout.bucket} not found`;
      if (isPermissionError(error)) return `permission denied: ${errorText(error)}`;
      return `feed consumer could not be created: ${errorText(error)}`;
    },
    transport: (signals) => new KvWatch(env, signals, syncPatienceMs),
  });
}

/** The stream's head, with the stream info it was read from (the consumer is configured and placed by it). */
interface StreamHead extends BackendHead {
  readonly info: StreamInfo;
}

/** The feed's push consumer: at most one at a time, made by `start`, removed by `stop`. */
class KvWatch implements WatchTransport<StreamHead> {
  private readonly placement: ConsumerPlacement;
  private consumerSequence = 0;
  /** Nothing was pending when the consumer was made: the sync is due once this delivery is in. */
  private replayEndAt: number | undefined;
  private consumerName: string | undefined;
  private subscription: Subscription | undefined;
  private inbox = "";
  private readonly unlisten: () => void;
  private readonly unlistenErrors: () => void;

  constructor(
    private readonly env: FeedEnvironment,
    signals: WatchSignals,
    syncPatienceMs: number,
  ) {
    this.placement = new ConsumerPlacement(env, signals, syncPatienceMs);
    this.unlisten = env.connection.onChange((up, detail) => signals.connection(up, detail));
    // Flow control replies go to `$JS.FC.…`: a host without the right to publish there stalls on the first
    // flow-control request, silently. The server says why on the connection; say it on the feed.
    this.unlistenErrors = env.connection.onError((error) => {
      if (!/permission/i.test(error.message) || !/\$JS\.FC\./.test(error.message)) return;
      signals.connection(
        false,
        `permission denied: ${error.message} (the feed needs to publish to $JS.FC.>)`,
      );
    });
  }

  unreachable(): string | undefined {
    return this.env.connection.connected ? undefined : this.env.connection.detail || "not connected";
  }

  async head(): Promise<StreamHead> {
    const info = await this.env.streamInfo();
    return { revision: info.state.last_seq, epoch: info.created, info };
  }

  async start(
    { from, head: { info }, attempt }: WatchStart<StreamHead>,
    events: WatchEvents,
  ): Promise<string | undefined> {
    this.placement.creating(info);
    this.inbox = createInbox();
    this.consumerSequence = 0;
    this.replayEndAt = undefined;
    // Subscribe before the consumer exists: a push consumer starts delivering at once.
    const subscription: Subscription = this.env.nc.subscribe(this.inbox, {
      callback: (error, msg) => {
        if (this.subscription !== subscription) return;
        // A throwing callback would end the subscription inside the client: contain it (the replica's
        // sink does not throw; this guards the feed against a faulty one) and go on with the next message.
        try {
          this.onMessage(events, error, msg);
        } catch (thrown) {
          this.env.logger.error({ err: thrown }, "the feed's sink threw");
        }
      },
    });
    this.subscription = subscription;
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
      ...(from === 0
        ? // One message per key kept: every message is its key's last, and "all" is the same snapshot, which
          // the server sets up several times faster than "last per subject" (1.1 s against 4.5–6 s at 1M keys).
          {
            deliver_policy:
              info.config.max_msgs_per_subject === 1 ? ("all" as const) : ("last_per_subject" as const),
          }
        : // From the oldest unproven delivery: the replay up to the position is the history proof.
          { deliver_policy: "by_start_sequence" as const, opt_start_seq: from }),
    };
    const api = from === 0 ? this.env.snapshotJsm : this.env.jsm;
    const created = await api.consumers.add(this.env.layout.stream, config);
    if (this.consumerName !== name) {
      // Stopped while being created (the feed closed): nobody else removes it.
      this.env.jsm.consumers.delete(this.env.layout.stream, name).catch(() => {});
      return undefined;
    }
    const placeAgain = this.placement.created(name, info, created, attempt);
    if (placeAgain !== undefined) {
      this.stop();
      return placeAgain;
    }
    if (created.num_pending === 0) {
      // Nothing was pending when the consumer was made: once what it already sent is in, the sync is due.
      this.replayEndAt = created.delivered.consumer_seq;
      if (this.consumerSequence >= this.replayEndAt) events.replayed();
    }
    return undefined;
  }

  stop(): void {
    this.placement.dropped();
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    const name = this.consumerName;
    this.consumerName = undefined;
    if (name !== undefined && this.env.connection.connected) {
      this.env.jsm.consumers.delete(this.env.layout.stream, name).catch(() => {});
    }
  }

  close(): void {
    this.placement.close();
    this.unlisten();
    this.unlistenErrors();
    this.stop();
  }

  restartDue(state: WatchState): string | undefined {
    return this.placement.restartDue(state);
  }

  private onMessage(events: WatchEvents, error: Error | null, msg: Msg): void {
    if (error) {
      events.failed(error);
      return;
    }
    events.heard();
    this.env.contact?.heard();
    if (msg.subject === this.inbox) {
      this.onStatus(events, msg);
      return;
    }
    const delivery = parseDeliveryInfo(msg.reply);
    if (!delivery) return;
    if (delivery.consumerSequence !== this.consumerSequence + 1) {
      // Deliveries were lost (slow consumer, a server hiccup): resume after what we have.
      events.broken(`delivery gap: expected ${this.consumerSequence + 1}, got ${delivery.consumerSequence}`);
      return;
    }
    this.consumerSequence = delivery.consumerSequence;
    const replayed =
      delivery.pending === 0 || (this.replayEndAt !== undefined && this.consumerSequence >= this.replayEndAt);
    const { layout } = this.env;
    const revision = delivery.streamSequence;
    const change = toBackendEntry(layout, msg.subject, revision, msg.headers, msg.data, delivery.storedAt);
    if (change === undefined) events.passed(revision, replayed);
    else events.change(change, replayed);
  }

  private onStatus(events: WatchEvents, msg: Msg): void {
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
        events.broken(`heartbeat reports delivery ${lastDelivered}, last received ${this.consumerSequence}`);
        return;
      }
      // An idle consumer has passed everything up to its last stream position, deleted messages included
      // (a snapshot whose tail was purged never gets a delivery that reaches the target).
      const passed = Number(msg.headers?.get("Nats-Last-Stream") ?? "0");
      events.passed(Number.isSafeInteger(passed) ? passed : 0, !stalled);
      return;
    }
    if (code >= 400) events.broken(`consumer status ${code} ${description}`);
  }
}
