// When a running feed must replay its last deliveries to prove the stream still holds them. nats-server 2.9
// can rewrite a stream's history under the same epoch when its leadership moves after R3 node losses
// (history-rewrite.test.ts shows the same rewrite from a restored backup): the sequences a replica applied
// then hold other messages. A feed learns that only by recreating its consumer from core's history proof
// (`FeedProtocol.proofStart`), which every consumer creation does anyway. So each feed decides in its own
// watchdog: the stream leader the backend observed last differs from the one its consumer was created
// under → one audit (a recreated consumer), at most one per feed per `minIntervalMs`; an audit that falls
// due within that time is carried out once it has passed, never dropped. A failed stream info by itself is
// no reason: a lost connection already recreates every consumer, and `head()` only reads.

/** At most one audit per feed in this time. */
export const AUDIT_INTERVAL_MS = 10_000;

/** Options of a {@link HistoryAudit}. */
export interface HistoryAuditOptions {
  /** At most one audit in this time. Default {@link AUDIT_INTERVAL_MS}. */
  readonly minIntervalMs?: number;
  /** The clock (ms). Default `Date.now`. */
  readonly now?: () => number;
}

/** One feed's audit schedule (see the file comment). Knows nothing of NATS: leaders are node names. */
export class HistoryAudit {
  /** The stream leader when the feed's consumer was created: the history its replay proved. */
  private provenUnder: string | undefined;
  /** Why an audit is due, while one is. */
  private due: string | undefined;
  private lastAuditAt = Number.NEGATIVE_INFINITY;
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  constructor(options: HistoryAuditOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? AUDIT_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** True while an audit is due (possibly waiting for the rate limit). */
  get pending(): boolean {
    return this.due !== undefined;
  }

  /**
   * The feed's consumer was created while `leader` led the stream (undefined: not known, e.g. a single
   * server): its replay proved the history there, so no audit is due any more.
   */
  consumerCreated(leader: string | undefined): void {
    if (leader !== undefined) this.provenUnder = leader;
    this.due = undefined;
  }

  /**
   * A watchdog tick, with the stream leader the backend observed last. Returns why the feed must recreate
   * its consumer now, or undefined (nothing due, or the rate limit holds a due audit back).
   */
  check(observedLeader: string | undefined): string | undefined {
    if (observedLeader !== undefined) {
      if (this.provenUnder === undefined) this.provenUnder = observedLeader;
      else if (observedLeader !== this.provenUnder)
        this.due ??= `stream leader changed (${this.provenUnder} → ${observedLeader})`;
    }
    if (this.due === undefined) return undefined;
    const now = this.now();
    if (now - this.lastAuditAt < this.minIntervalMs) return undefined;
    this.lastAuditAt = now;
    const reason = this.due;
    this.due = undefined;
    return reason;
  }
}
