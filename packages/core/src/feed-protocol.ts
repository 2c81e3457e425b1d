// The feed protocol every durable backend follows, held once: where the feed is (revision and history),
// when it must give up with a gap (another history, a store behind the feed, a rewritten history, an
// out-of-order change), the proof that the store still holds what earlier feeds delivered, connection
// reports without repeats, and one `synced` per feed. A backend's feed keeps only its transport: reading a
// snapshot, reading after a revision, learning the head. Push transports (a JetStream consumer) drive this
// class directly; log transports use `followLog`, which drives it for them. Rule 9.
// Rules cited here: docs/semantics.md#rule-8, #rule-9.
import type { BackendEntry, BackendHead, FeedPosition, FeedSink } from "./backend.js";
import { type DeliveredChange, type DeliveryPrint, printDifference, printOf } from "./delivery-print.js";
import { historyBreak } from "./history-rule.js";
import type { Logger } from "./logger.js";
import type { RecentDeliveries } from "./recent-deliveries.js";

/** A delivery (as its print) that came back different: why, for the gap's reason. */
export function rewriteOf(delivered: DeliveryPrint, stored: DeliveredChange): string | undefined {
  const what = printDifference(delivered, printOf(stored));
  if (what === undefined) return undefined;
  const was = delivered.length < 0 ? "a delete" : `a change of ${delivered.length} bytes`;
  return (
    `the history was rewritten: revision ${delivered.revision} was delivered as ${was}; ` +
    `the store now holds ${describeChange(stored)} there (${what})`
  );
}

function describeChange(change: DeliveredChange): string {
  const what = change.value === null ? "deleted" : `${change.value.length} bytes`;
  const by = change.origin ? ` by ${change.origin}` : "";
  const write = change.writeId ? `, write ${change.writeId}` : "";
  return `${change.key} (${what}${by}${write})`;
}

/** What a feed needs from its backend to follow the protocol. */
export interface FeedProtocolOptions {
  /** Where the replica asked the feed to start. */
  readonly from: FeedPosition;
  /** The replica's sink. */
  readonly sink: FeedSink;
  /** What the backend's feeds delivered last, shared by them so a feed that replaces another can prove it. */
  readonly recent: RecentDeliveries;
  /** Names the store in gap reasons, e.g. `bucket LATTICEDATA_default`. */
  readonly store: string;
  readonly logger: Logger;
  /** Called once when the feed stops for good (closed, or after a gap). */
  readonly onStop?: () => void;
}

/** A resuming feed proves no further back than this many revisions below its position. */
export const MAX_PROOF_SPAN = 1_000;

/**
 * The state and rules of one feed (see the file comment). Nothing reaches the sink after `stop()` or a gap;
 * `synced` reaches it once; a connection state reaches it only when it differs from the last one reported.
 */
export class FeedProtocol {
  /** The last revision delivered, or known to be covered (a snapshot's head, a resume position). */
  position: number;
  /** The history the delivered changes belong to, once known. */
  epoch: string | undefined;
  private isSynced = false;
  /**
   * A snapshot's newest change so far: of a snapshot only the newest change needs proving (a rewrite below it
   * rewrites it too, as a snapshot holds each key's latest change), so it is noted once, when the feed syncs —
   * not every change of a bucket being hydrated.
   */
  private snapshotNewest: DeliveredChange | undefined;
  /** A push transport's replay of the proof has not reached the position yet (see `replayingProof`). */
  private replaying = false;
  private isStopped = false;
  private reportedUp: boolean | undefined;

  constructor(private readonly options: FeedProtocolOptions) {
    this.position = options.from.revision;
    this.epoch = options.from.revision > 0 ? options.from.epoch : undefined;
    if (options.from.revision === 0) options.recent.clear();
  }

  /** True when the feed started with a snapshot (the replica holds nothing it can resume from). */
  get snapshot(): boolean {
    return this.options.from.revision === 0;
  }

  /** True once `synced` was reported. */
  get synced(): boolean {
    return this.isSynced;
  }

  /** True after `stop()` or a gap: the transport should release everything and deliver nothing more. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /**
   * Rule 9: the store's head as the transport read it. Returns false, after reporting a gap, when the store
   * holds another history than the one this feed delivered (or was asked to resume in), or when its
   * revision is behind what was delivered. Otherwise adopts the head's epoch and returns true.
   * @param asOf - the feed's position when the head was requested: a push transport keeps delivering while
   *   it waits for the answer, and a head read before those deliveries is not behind them.
   */
  acceptHead(head: BackendHead, asOf = this.position): boolean {
    if (this.isStopped) return false;
    const broken = historyBreak(
      head,
      { epoch: this.epoch, revision: asOf },
      this.options.store,
      "this feed's",
    );
    if (broken !== undefined) return this.gap(broken);
    this.epoch = head.epoch;
    return true;
  }

  /**
   * The revisions whose stored changes prove that the store still holds the history delivered up to the
   * position, newest first: what this backend's feeds delivered there, at most {@link MAX_PROOF_SPAN} back.
   */
  proofRevisions(): number[] {
    return this.proof().map((change) => change.revision);
  }

  /** How many deliveries no proof has covered yet (a log feed proves them every `VERIFY_EVERY_DELIVERIES`). */
  get unproven(): number {
    return this.options.recent.unproven;
  }

  /** The store held what was delivered at every proof revision up to `revision` (see `RecentDeliveries.proven`). */
  proven(revision: number): void {
    if (!this.isStopped) this.options.recent.proven(revision);
  }

  /** Where a transport that replays the store must start so the replay includes the proof. */
  proofStart(): number {
    const proof = this.proof();
    return proof.length ? (proof.at(-1) as DeliveryPrint).revision : this.position + 1;
  }

  /**
   * Compares what the store holds at a revision this backend delivered with what was delivered. Returns
   * false, after reporting a gap, when it is another change; true when it is the same (or nothing is
   * remembered there). `stored === undefined` means the store no longer keeps that revision (trimmed,
   * compacted): it proves nothing either way.
   */
  checkStored(revision: number, stored: DeliveredChange | undefined): boolean {
    if (this.isStopped) return false;
    const delivered = stored === undefined ? undefined : this.options.recent.at(revision);
    const rewrite = delivered === undefined ? undefined : rewriteOf(delivered, stored as DeliveredChange);
    if (rewrite !== undefined) return this.gap(rewrite);
    if (revision === this.position) this.replayReachedPosition();
    return true;
  }

  /**
   * A push transport starts replaying the store from {@link proofStart}: once the replay reaches the position
   * (a replayed change there, or the first change after it) with every remembered delivery matching, what
   * was delivered up to the position is proven (see `RecentDeliveries.proven`).
   */
  replayingProof(): void {
    this.replaying = this.position > 0;
  }

  private keepSnapshotNewest(change: DeliveredChange): void {
    if (this.snapshotNewest === undefined || change.revision > this.snapshotNewest.revision) {
      this.snapshotNewest = change;
    }
  }

  private replayReachedPosition(): void {
    if (!this.replaying) return;
    this.replaying = false;
    this.proven(this.position);
  }

  /**
   * One change of a snapshot (any order; the replica sorts them out by revision). Remembered for the
   * history proof; `entry` is what the sink gets (undefined: nothing, the change is not one of the lattice's).
   */
  snapshotEntry(change: DeliveredChange, entry: BackendEntry | undefined): void {
    if (this.isStopped) return;
    this.keepSnapshotNewest(change);
    this.delivering();
    if (entry !== undefined) this.options.sink.entry(entry);
  }

  /**
   * One change after the position, in revision order. A change at or below the position is a replay and is
   * ignored (false). With `contiguous`, a revision other than position + 1 means changes were lost: a gap.
   */
  liveEntry(change: DeliveredChange, entry: BackendEntry | undefined, contiguous = false): boolean {
    if (this.isStopped || change.revision <= this.position) return false;
    if (contiguous && change.revision !== this.position + 1) {
      this.gap(
        `${this.options.store} jumps from revision ${this.position} to ${change.revision}: changes in between are gone`,
      );
      return false;
    }
    this.replayReachedPosition();
    this.position = change.revision;
    // A push transport's snapshot arrives as changes after position 0: proven by its newest, like any snapshot.
    if (this.snapshot && !this.isSynced) this.keepSnapshotNewest(change);
    else this.options.recent.note(change);
    this.delivering();
    if (entry !== undefined) this.options.sink.entry(entry);
    return true;
  }

  /**
   * Rule 8: everything up to `revision` was delivered. Reported once per feed, with the feed's epoch; the
   * position becomes at least `revision`.
   */
  markSynced(revision: number): void {
    if (this.isStopped || this.isSynced) return;
    this.isSynced = true;
    if (this.snapshotNewest !== undefined) this.options.recent.note(this.snapshotNewest);
    this.snapshotNewest = undefined;
    this.position = Math.max(this.position, revision);
    this.delivering();
    this.options.sink.synced({ revision: this.position, epoch: this.epoch ?? "" });
  }

  /** The feed cannot go on without losing changes: stop, and tell the replica to resync. Returns false. */
  gap(reason: string): false {
    if (this.isStopped) return false;
    this.options.logger.warn(
      { reason, position: this.position },
      "feed cannot continue; asking for a resync",
    );
    this.stop();
    this.options.sink.gap(reason);
    return false;
  }

  /** Reports the feed's connection state, once per change of state (a new feed always reports its first). */
  report(up: boolean, detail: string): void {
    if (this.isStopped || this.reportedUp === up) return;
    this.reportedUp = up;
    this.options.sink.connection(up, detail);
  }

  /** Asks the replica to compare its position with the store's head soon (see `FeedSink.check`). */
  check(reason: string): void {
    if (!this.isStopped) this.options.sink.check?.(reason);
  }

  /** A delivery proves the connection: a feed that reported "down" reports "up" again. */
  private delivering(): void {
    if (this.reportedUp === false) this.report(true, "the feed delivers again");
  }

  /** Stops the feed: nothing more reaches the sink. Idempotent. */
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.options.onStop?.();
  }

  private proof(): DeliveryPrint[] {
    return this.options.recent
      .upTo(this.position)
      .filter((change) => this.position - change.revision < MAX_PROOF_SPAN);
  }
}
