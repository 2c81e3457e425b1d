// The replica's feed lifecycle (the reflector of the informer pattern): start a feed, restart it after the
// last applied revision, resync from a snapshot staged beside the current view and swapped in at `synced`;
// route what a feed delivers — entries to the view (or the staging store), connection reports and signals
// to the monitor. A feed that is replaced is closed; whatever an old feed still says is ignored. When to
// restart or resync is the monitor's decision (and a feed's own gap, which always resyncs).
// Rules cited here: docs/semantics.md#rule-8, #rule-9.
import type {
  BackendEntry,
  BackendHead,
  FeedPosition,
  FeedSink,
  FeedSubscription,
  LatticeBackend,
} from "./backend.js";
import { errorText } from "./error-text.js";
import type { Logger } from "./logger.js";
import type { PropagationStats } from "./propagation-stats.js";
import { ReplicaStore } from "./replica-store.js";
import type { ReplicaView } from "./replica-view.js";

/** How long a subscribe that threw waits before it is tried again. */
const SUBSCRIBE_RETRY_MS = 1000;

/** What the reflector tells the rest of the replica. */
export interface ReflectorEvents {
  /** The current feed's connection went down or came back. */
  connection(connected: boolean, detail?: string): void;
  /** The current feed delivered something (a delivery proves the connection). */
  delivering(): void;
  /** The current feed raised a signal (see `FeedSink.check`). */
  check(reason: string): void;
  /** The current feed synced; the view adopted `head` (and a staged snapshot), its events not emitted yet. */
  synced(head: BackendHead): void;
  /** The adopted view is served and its events emitted. */
  published(): void;
  /** A resync begins (lag known so far is moot). */
  resyncing(reason: string): void;
  /** Something went wrong that status should show. */
  problem(text: string): void;
}

/** What the reflector needs. */
export interface FeedReflectorOptions {
  readonly backend: LatticeBackend;
  readonly view: ReplicaView;
  readonly propagation: PropagationStats;
  /** What the feed's entries mean to this host's own writes (`OwnWrites`). */
  readonly ownWrites: {
    /** The decoded value of an own write in flight that an entry echoes. */
    decodedOf(entry: BackendEntry): unknown;
    /** Checks an entry against an own write applied ahead of the feed at its revision. */
    confirm(entry: BackendEntry): void;
    /** A snapshot replaced the view. */
    rebased(): void;
  };
  readonly events: ReflectorEvents;
  readonly logger: Logger;
}

/** Starts, restarts and resyncs a replica's feed (see the file comment). */
export class FeedReflector {
  /** The snapshot being staged, while one is. */
  staging: ReplicaStore | undefined;
  /** A resync of a replica that was synced before is under way. */
  resyncing = false;
  /** When the current feed last delivered or started (ms epoch). */
  activityAt = 0;
  private generation = 0;
  private feed: FeedSubscription | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: FeedReflectorOptions) {}

  /** Starts the first feed: a snapshot (rule 8). */
  start(): void {
    this.startFeed({ revision: 0 });
  }

  /** Rule 9: drop the view's basis and rebuild it from a fresh snapshot, emitting the resulting changes. */
  resync(reason: string): void {
    if (this.closed) return;
    const { view, events, logger } = this.options;
    view.counters.resyncs += 1;
    events.problem(reason);
    logger.warn({ reason, applied: view.revision }, "resyncing the replica from the backend");
    if (view.ready) this.resyncing = true;
    events.resyncing(reason);
    this.startFeed({ revision: 0 });
  }

  /** Restarts the feed after the last applied revision (a stalled watch, rule 9); a snapshot while not synced. */
  restart(reason: string): void {
    if (this.closed) return;
    const { view, logger } = this.options;
    view.counters.feedRestarts += 1;
    logger.warn({ reason, applied: view.revision }, "restarting the backend feed");
    this.startFeed(
      this.staging || !view.ready ? { revision: 0 } : { revision: view.revision, epoch: view.epoch },
    );
  }

  /** Stops the current feed; nothing it says afterwards is heard. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const feed = this.feed;
    this.feed = undefined;
    await feed
      ?.close()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, "closing the feed failed"));
  }

  private startFeed(from: FeedPosition): void {
    if (this.closed) return;
    const previous = this.feed;
    this.feed = undefined;
    this.generation += 1;
    const generation = this.generation;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.staging = from.revision === 0 ? new ReplicaStore() : undefined;
    this.activityAt = Date.now();
    previous
      ?.close()
      .catch((error: unknown) => this.options.logger.debug({ err: error }, "closing the old feed failed"));
    try {
      this.feed = this.options.backend.subscribe(from, this.sinkFor(generation));
    } catch (error) {
      this.options.events.problem(`subscribe failed: ${errorText(error)}`);
      this.options.logger.error({ err: error }, "subscribing to the backend feed failed; retrying");
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (generation === this.generation && !this.closed) this.startFeed(from);
      }, SUBSCRIBE_RETRY_MS);
      this.retryTimer.unref();
    }
  }

  private sinkFor(generation: number): FeedSink {
    const current = () => generation === this.generation && !this.closed;
    const { events } = this.options;
    return {
      entry: (entry) => {
        if (!current()) return;
        this.activityAt = Date.now();
        // Data flowing on the current feed proves the connection, even if the feed never said so.
        events.delivering();
        if (!current()) return;
        if (this.staging) this.options.view.stage(this.staging, entry);
        else this.applyLive(entry);
      },
      synced: (head) => {
        if (!current()) return;
        this.synced(head);
        if (current()) events.connection(true, "the feed synced");
      },
      gap: (reason) => {
        if (current()) this.resync(`feed gap: ${reason}`);
      },
      connection: (connected, detail) => {
        if (current()) events.connection(connected, detail);
      },
      check: (reason) => {
        if (current()) events.check(reason);
      },
    };
  }

  private applyLive(entry: BackendEntry): void {
    const { view, propagation } = this.options;
    // A revision already applied (an own write applied on its acknowledgement) did not propagate now.
    if (entry.writtenAt !== undefined && entry.revision > view.revision) {
      propagation.record(Date.now() - entry.writtenAt);
    }
    this.options.ownWrites.confirm(entry);
    view.applyLive(entry, this.options.ownWrites.decodedOf(entry));
  }

  /** The feed synced: adopt the staged snapshot (if any), then let the rest of the replica catch up. */
  private synced(head: BackendHead): void {
    const { view, events } = this.options;
    this.activityAt = Date.now();
    const staging = this.staging;
    this.staging = undefined;
    const changes = view.adopt(staging, head);
    if (staging) this.options.ownWrites.rebased();
    this.resyncing = false;
    events.synced(head);
    view.publish(changes);
    events.published();
  }
}
