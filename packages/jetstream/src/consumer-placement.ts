// Where a feed's consumer lives, and when it must move. nats-server 2.9 places an R1 consumer on a random
// peer of the stream; after a cluster incident a follower can stop following (seen after the double node
// loss: consumers there deliver nothing, while the stream info still calls the node current). So a consumer
// that replaces a stalled or failed one asks for the stream leader, an initial sync that runs too long off
// the leader is moved, a server leaving the cluster replaces the consumer (it may have lived there), and a
// stream leader change calls for a history audit (history-audit.ts). Knows the feed only by the signals of
// core's `followWatch`.
import type { Logger, WatchSignals, WatchState } from "@lattice-cache/core/backend";
import type { ConsumerInfo, StreamInfo } from "@nats-io/jetstream";
import type { ConnectionState } from "./connection-state.js";
import { HistoryAudit } from "./history-audit.js";

/** What placing a consumer needs from the backend. */
export interface PlacementEnvironment {
  readonly connection: ConnectionState;
  readonly logger: Logger;
  /** Place the consumer on the stream leader (a feed that replaces a stalled or failed one; see `created`). */
  readonly preferStreamLeader: boolean;
  /** The stream leader the backend observed last (any stream info), if any. */
  readonly streamLeader: () => string | undefined;
}

/** How often a feed that prefers the stream leader deletes a consumer placed elsewhere and tries again. */
const MAX_PLACEMENT_ATTEMPTS = 4;
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

/** The placement of one feed's consumers (see the file comment). */
export class ConsumerPlacement {
  private readonly audit = new HistoryAudit();
  /** Consumers deleted in a row for being placed off the stream leader. */
  private placements = 0;
  /** Where the current consumer lives (cluster only) and since when. */
  private node: string | undefined;
  private createdAt = 0;
  /** The stream is replicated across a cluster: a consumer may live on another server than the connection. */
  private clustered = false;
  private closed = false;
  /** When the consumer was last replaced because cluster servers left (at most one per {@link NODE_LOSS_GAP_MS}). */
  private lastNodeLossAt = Number.NEGATIVE_INFINITY;
  private nodeLossTimer: NodeJS.Timeout | undefined;
  private readonly unlisten: () => void;

  constructor(
    private readonly env: PlacementEnvironment,
    private readonly signals: Pick<WatchSignals, "check" | "restart">,
    /** How long an initial sync may run off the stream leader. */
    private readonly syncPatienceMs: number,
  ) {
    // A cluster server left: the consumer may have lived there, and a dead consumer sends nothing — not
    // even heartbeats until two are missed. Replace it (a resume with the history proof), spread over up to
    // a second so a lattice's hosts do not all ask at once, and have the replica compare with the head.
    this.unlisten = env.connection.onServersLeft((detail) => this.serversLeft(detail));
  }

  /** A consumer is being created by this stream info. */
  creating(info: StreamInfo): void {
    this.clustered = info.cluster !== undefined;
  }

  /**
   * A consumer was created. A consumer that replaces another — in this feed (`attempt` > 1) or in the one
   * before — asks for the stream leader: placed elsewhere, it must be deleted and created again, up to
   * {@link MAX_PLACEMENT_ATTEMPTS} times — except while a server that left is still missing (for
   * {@link NODE_LOSS_PLACEMENT_MS}): a live placement is kept then. Returns why it must be placed again, or
   * undefined (kept).
   */
  created(name: string, info: StreamInfo, created: ConsumerInfo, attempt: number): string | undefined {
    if (info.cluster !== undefined) {
      const again = this.misplaced(name, info, created, attempt);
      if (again !== undefined) return again;
    }
    this.node = created.cluster?.leader;
    this.createdAt = Date.now();
    this.audit.consumerCreated(info.cluster?.leader ?? this.env.streamLeader());
    return undefined;
  }

  /** The consumer was removed. */
  dropped(): void {
    this.node = undefined;
  }

  /** The watchdog's checks: a slow sync off the leader, then a due history audit. */
  restartDue({ synced, position }: WatchState): string | undefined {
    const slowSync = this.slowSyncOffLeader(synced);
    if (slowSync !== undefined) return slowSync;
    const audit = this.audit.check(this.env.streamLeader());
    // Nothing delivered yet: nothing the stream could have rewritten.
    return audit !== undefined && position > 0 ? `${audit}: checking the delivered history` : undefined;
  }

  close(): void {
    this.closed = true;
    if (this.nodeLossTimer) clearTimeout(this.nodeLossTimer);
    this.unlisten();
  }

  private serversLeft(detail: string): void {
    // Outside a cluster the consumer lives on the server this connection uses: its loss is a disconnection.
    // In one, a consumer being created may have been placed on the server that left, just before it died:
    // it is replaced once created (the feed queues the restart), so clustered is enough to act.
    if (this.closed || !this.clustered || this.nodeLossTimer !== undefined) return;
    const now = Date.now();
    if (now - this.lastNodeLossAt < NODE_LOSS_GAP_MS) return;
    this.lastNodeLossAt = now;
    this.signals.check(detail);
    this.nodeLossTimer = setTimeout(
      () => {
        this.nodeLossTimer = undefined;
        this.signals.restart(`${detail}: the consumer may have lived there`);
      },
      Math.floor(Math.random() * NODE_LOSS_SPREAD_MS),
    );
    this.nodeLossTimer.unref();
  }

  /**
   * An initial sync (or resync) that has not finished after the sync patience on a consumer that is not on
   * the stream leader (or whose leader is unknown) is moved: a follower that lags or stopped following can
   * trickle messages for as long as others write, and a snapshot there never catches up.
   */
  private slowSyncOffLeader(synced: boolean): string | undefined {
    if (synced || this.node === undefined) return undefined;
    const leader = this.env.streamLeader();
    if (leader === this.node) return undefined;
    const running = Date.now() - this.createdAt;
    if (running <= this.syncPatienceMs) return undefined;
    return `the initial sync on ${this.node} has not finished after ${running} ms; the stream leader is ${leader ?? "unknown"}`;
  }

  private misplaced(
    name: string,
    info: StreamInfo,
    created: ConsumerInfo,
    attempt: number,
  ): string | undefined {
    const node = created.cluster?.leader;
    const leader = info.cluster?.leader ?? this.env.streamLeader();
    // The feed's first consumer goes where the server puts it (spreading load); every replacement recovers
    // from something and prefers the leader.
    const retry =
      (this.env.preferStreamLeader || attempt > 1) &&
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
      return undefined;
    }
    this.placements += 1;
    return `consumer placed on ${node}, not on the stream leader ${leader}`;
  }

  /** A cluster server went missing less than {@link NODE_LOSS_PLACEMENT_MS} ago and is not back. */
  private nodeLossUnderway(): boolean {
    const since = this.env.connection.serverMissingSince;
    return since !== undefined && Date.now() - since < NODE_LOSS_PLACEMENT_MS;
  }
}
