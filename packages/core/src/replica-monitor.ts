// The replica's watch over its feed (rules 9 and 10), and the one place that decides its state. It looks at
// the replica every `stallCheckIntervalMs` (no request) and asks the backend's head only when it has a reason:
// a feed's signal, a lag the feed has not closed, a snapshot, a failing or lost connection, an own write the
// feed did not bring — or the slow idle fallback. From the answers it keeps the lag, the stall, the
// connection and the staleness, and decides: restart a stalled feed, resync after a lost or rewritten
// history, or leave a lagging feed alone. A healthy idle replica costs the backend a head read a minute.
// Rules cited here: docs/semantics.md#rule-6, #rule-9, #rule-10.
import type { BackendEntry, BackendHead } from "./backend.js";
import { type BackoffPolicy, backoffDelay } from "./backoff.js";
import { errorText } from "./error-text.js";
import { historyBreak } from "./history-rule.js";
import type { Logger } from "./logger.js";
import type { AcknowledgementReports } from "./own-writes.js";
import type { ReplicaView } from "./replica-view.js";
import { withTimeout } from "./with-timeout.js";

/** Where a replica is: catching up for the first time, live, serving possibly old data, or rebuilding. */
export type ReplicaState = "syncing" | "live" | "stale" | "resyncing";

/** Timing knobs of a replica. */
export interface ReplicaTiming {
  /**
   * How often the replica looks at itself (no request), and how often it asks the backend's head while
   * something looks wrong: a feed signal, a reconnection, a lag, an own write the feed did not bring yet.
   * Default 1000 ms.
   */
  readonly stallCheckIntervalMs: number;
  /**
   * How often the backend's head is asked while everything looks healthy: the slow fallback that finds a
   * feed that went silent without any signal (jittered ± 20 %, so hosts do not ask together). Default
   * 60 000 ms.
   */
  readonly idleCheckIntervalMs: number;
  /**
   * How long the backend may be ahead while the replica applies nothing before the feed is restarted.
   * A feed that applies anything between two checks is lagging, not stalled, and is left alone.
   * Default 4000 ms.
   */
  readonly stallTimeoutMs: number;
  /** Deadline of one head request. Default 2000 ms. */
  readonly headTimeoutMs: number;
  /** How long a write waits for its revision on the feed before applying it locally. Default 5000 ms. */
  readonly readYourWritesTimeoutMs: number;
}

/**
 * Default replica timing: a stalled feed that some signal reveals (heartbeats, a leader change, an own
 * write, a reconnection) is restarted within about 5–6 s; one that went silent without any, within about
 * 80 s. An idle replica asks the backend's head about once a minute.
 */
export const DEFAULT_REPLICA_TIMING: ReplicaTiming = {
  stallCheckIntervalMs: 1000,
  idleCheckIntervalMs: 60_000,
  stallTimeoutMs: 4000,
  headTimeoutMs: 2000,
  readYourWritesTimeoutMs: 5000,
};

/**
 * How long a feed restarted n times in a row must again make no progress before the next restart: the
 * stall timeout first, then 2 s, 4 s … 30 s — a feed that is slow, not dead, gets time to show it.
 */
export const FEED_RESTART_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000 };

/**
 * How long after a feed's signal (or a reconnection) the replica keeps asking the head at every look: what
 * follows a cluster event — a consumer left on a follower that stopped following, a history rewritten by
 * the election — makes no sound of its own, and shows only as a lag that does not close.
 */
export const SIGNAL_WATCH_MS = 30_000;

/** How far the idle head check is jittered: ± this share of `idleCheckIntervalMs`. */
export const IDLE_CHECK_JITTER = 0.2;

/** What the monitor acts on: the feed (the reflector, seen through what the monitor needs of it). */
export interface MonitoredFeed {
  /** The snapshot being staged, if one is. */
  readonly staging: unknown;
  /** A resync of a synced replica is under way. */
  readonly resyncing: boolean;
  /** When the feed last delivered or started (ms epoch). */
  readonly activityAt: number;
  restart(reason: string): void;
  resync(reason: string): void;
}

/** What the monitor needs. */
export interface ReplicaMonitorOptions {
  readonly head: () => Promise<BackendHead>;
  /** The backend orders revisions lattice-wide: only then can a head be compared with the replica. */
  readonly ordered: boolean;
  /** The backend can resume a feed (a replica away too long must resync instead, rule 6). */
  readonly history: boolean;
  readonly view: ReplicaView;
  readonly feed: MonitoredFeed;
  readonly timing: ReplicaTiming;
  readonly tombstoneRetentionMs: number;
  readonly logger: Logger;
  /** Called at every look (before anything else), e.g. to prune tombstones. */
  readonly onLook: (now: number) => void;
}

/** Watches a replica's feed and decides its state (see the file comment). */
export class ReplicaMonitor implements AcknowledgementReports {
  private connected = true;
  private disconnectedSince: number | undefined;
  private headFailingSince: number | undefined;
  private stalledSince: number | undefined;
  /** Since when the backend has been ahead while the replica applied nothing (a stall candidate). */
  private noProgressSince: number | undefined;
  /** The applied revision at the last head check: more now means the feed made progress. */
  private appliedAtLastCheck = 0;
  /** Head revisions seen ahead of the replica, oldest first, with when: how long the replica lags. */
  private lagMarks: { revision: number; at: number }[] = [];
  /** Feed restarts since the feed last kept up for a whole backoff period. */
  private restartsInRow = 0;
  private lastRestartAt = 0;
  private lastBackendRevision: number | undefined;
  /** A resync is under way: the head known before it may belong to the history being replaced. */
  private replacingHistory = false;
  /**
   * Times the view's basis changed (a resync began; its snapshot was swapped in): a head answer asked for
   * before the latest change judges a revision of a basis that is gone.
   */
  private basisChanges = 0;
  private lastErrorText: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Why the head must be asked at the next look (a feed signal), if it must. */
  private checkDue: string | undefined;
  /** Until when (ms epoch) the head is asked at every look, after a signal or a reconnection. */
  private watchUntil = 0;
  /** When the next idle head check is due (ms epoch). */
  private nextIdleCheckAt = 0;
  /** The last time (ms epoch) the replica knew it held everything the backend had: the offline rule. */
  private caughtUpAt = Date.now();
  private checkInFlight: Promise<void> | undefined;
  private checkQueued: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ReplicaMonitorOptions) {}

  /** The replica's state: the one place it is decided. Unreachable wins over resyncing (rule 10). */
  get state(): ReplicaState {
    if (!this.options.view.ready) return "syncing";
    if (this.staleSince !== undefined) return "stale";
    return this.options.feed.resyncing ? "resyncing" : "live";
  }

  /**
   * Whether the replica reaches its backend: the feed's connection is up (no `connection(false)` without a
   * reconnection since) and the last head check did not fail.
   */
  get backendConnected(): boolean {
    return this.connected && this.headFailingSince === undefined;
  }

  /** Since when (ms epoch) the replica may be serving old data, or undefined while live. */
  get staleSince(): number | undefined {
    let since: number | undefined;
    for (const mark of [this.disconnectedSince, this.headFailingSince, this.stalledSince]) {
      if (mark !== undefined && (since === undefined || mark < since)) since = mark;
    }
    return since;
  }

  /**
   * How long (ms) the oldest change the replica has not applied yet has been known to exist: 0 when caught
   * up with the last head seen. A lagging replica is live; it is stale only when it makes no progress.
   */
  get lagMs(): number {
    const oldest = this.lagMarks[0];
    return oldest === undefined ? 0 : Date.now() - oldest.at;
  }

  /** The backend's revision at the last head check or sync, if known. */
  get backendRevision(): number | undefined {
    return this.lastBackendRevision;
  }

  /** The last problem seen (feed, head check), for status. */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /** Starts looking. */
  start(): void {
    this.scheduleIdleCheck();
    this.timer = setInterval(() => this.look(), this.options.timing.stallCheckIntervalMs);
    this.timer.unref();
  }

  /** Stops looking; checks in flight are ignored when they end. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Records a problem for status. */
  problem(text: string): void {
    this.lastErrorText = text;
  }

  /**
   * One stall/lost-history check against the backend head (rules 9 and 10), normally run by the look.
   * Resolves after a check that read the head after this call: when one is already in flight (it may have
   * read the head before the caller's write was acknowledged), one more runs after it.
   */
  checkHead(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.checkInFlight === undefined) {
      this.checkInFlight = this.runHeadCheck().finally(() => {
        this.checkInFlight = undefined;
      });
      return this.checkInFlight;
    }
    this.checkQueued ??= this.checkInFlight.then(() => {
      this.checkQueued = undefined;
      return this.checkHead();
    });
    return this.checkQueued;
  }

  /**
   * Something points at a problem (a feed's signal, a write the backend did not answer): ask the head at the
   * next look, and keep asking for `SIGNAL_WATCH_MS` (rules 9 and 10).
   */
  suspect(reason: string): void {
    if (this.closed) return;
    this.options.logger.debug({ reason }, "feed signal: watching the backend head");
    this.checkDue ??= reason;
    this.watchUntil = Date.now() + SIGNAL_WATCH_MS;
  }

  /** A stalled feed is restarted — or, after longer than half the tombstone retention away, resynced (rule 6). */
  requestRestart(reason: string): void {
    if (this.closed) return;
    if (this.awayTooLong()) {
      this.options.feed.resync(
        `${reason}, and the replica was away longer than half the tombstone retention`,
      );
      return;
    }
    this.restartsInRow += 1;
    this.lastRestartAt = Date.now();
    this.options.feed.restart(reason);
  }

  /** The feed's connection went down or came back (rule 10). */
  connection(connected: boolean, detail?: string): void {
    const { logger } = this.options;
    if (!connected && this.connected) {
      this.connected = false;
      this.disconnectedSince = Date.now();
      this.lastErrorText = `disconnected${detail ? `: ${detail}` : ""}`;
      logger.warn({ detail }, "backend feed disconnected; serving reads from the replica");
    } else if (connected && !this.connected) {
      this.connected = true;
      this.disconnectedSince = undefined;
      logger.info({ detail }, "backend feed reconnected");
      this.watchUntil = Date.now() + SIGNAL_WATCH_MS;
      if (this.awayTooLong()) {
        this.options.feed.resync(
          "the feed came back after longer than half the tombstone retention: deletes it missed may have been compacted",
        );
        return;
      }
      void this.checkHead();
    }
  }

  /** The feed delivers: a feed that was reported down is up again. */
  delivering(): void {
    if (!this.connected) this.connection(true, "the feed delivers again");
  }

  /** The feed synced at `head` (the view adopted it): nothing is missing up to there. */
  synced(head: BackendHead): void {
    const { view } = this.options;
    this.caughtUpAt = Date.now();
    // Within one history the highest head seen is the latest; after a resync the one synced at is (the head
    // known before may be a lost history's, ahead of the new one: it would show as a lag that is not there).
    if (this.replacingHistory) {
      this.lastBackendRevision = head.revision;
      this.replacingHistory = false;
      this.basisChanges += 1;
    } else this.lastBackendRevision = Math.max(head.revision, this.lastBackendRevision ?? 0);
    this.appliedAtLastCheck = view.revision;
    this.noProgressSince = undefined;
    this.stalledSince = undefined;
    this.passLagMarks();
  }

  /** A resync begins: the lag and the head known so far belong to the basis being replaced. */
  resyncing(): void {
    this.lagMarks = [];
    this.replacingHistory = true;
    this.basisChanges += 1;
  }

  /** The view applied a change in revision order. */
  advanced(): void {
    const revision = this.options.view.revision;
    if (this.lastBackendRevision !== undefined && revision > this.lastBackendRevision) {
      this.lastBackendRevision = revision;
    }
    if (this.lagMarks.length > 0) this.passLagMarks();
  }

  expecting(revision: number): void {
    // A feed that does not bring an acknowledged revision by the next look is asked about (rule 9): a host
    // that writes notices a dead feed without waiting for the fallback.
    if (this.options.view.ready && !this.options.feed.staging && this.options.ordered) {
      this.markLag(revision, Date.now());
    }
  }

  async contradicted(entry: BackendEntry): Promise<void> {
    // The history under the acknowledged revision was lost (a new epoch, which a head read tells) or
    // rewritten under the same epoch (a restored backup, which only this tells): either way, resync (rule 7).
    await this.checkHead();
    if (!this.options.feed.staging && !this.closed) {
      this.options.feed.resync(
        `own write ${entry.key}@${entry.revision} was acknowledged, but the replica holds another value at that revision: the backend's history was rewritten`,
      );
    }
  }

  async superseded(): Promise<void> {
    // A newer write — or a history lost and restarted below ours: only a head read after the acknowledgement
    // tells (a changed epoch starts a resync).
    await this.checkHead();
  }

  undelivered(): void {
    void this.checkHead();
  }

  private look(): void {
    if (this.closed || this.checkInFlight !== undefined) return;
    const now = Date.now();
    this.options.onLook(now);
    if (!this.options.ordered) return;
    if (this.options.feed.staging) {
      this.checkSnapshotProgress(now);
      return;
    }
    if (!this.options.view.ready) return;
    const oldestLag = this.lagMarks[0];
    const lagging = oldestLag !== undefined && now - oldestLag.at >= this.options.timing.stallCheckIntervalMs;
    if (
      this.checkDue !== undefined ||
      lagging ||
      now < this.watchUntil ||
      this.staleSince !== undefined ||
      now >= this.nextIdleCheckAt
    ) {
      void this.checkHead();
    }
  }

  /** A snapshot that delivers nothing for long is restarted (backing off like a stalled feed). */
  private checkSnapshotProgress(now: number): void {
    if (now - this.options.feed.activityAt > this.restartPatience(this.options.timing.stallTimeoutMs * 2)) {
      this.requestRestart("snapshot made no progress");
    }
  }

  private scheduleIdleCheck(): void {
    const interval = this.options.timing.idleCheckIntervalMs;
    this.nextIdleCheckAt =
      Date.now() + Math.round(interval * (1 + IDLE_CHECK_JITTER * (2 * Math.random() - 1)));
  }

  private async runHeadCheck(): Promise<void> {
    const appliedBefore = this.options.view.revision;
    const basisBefore = this.basisChanges;
    const askedAt = Date.now();
    this.checkDue = undefined;
    this.scheduleIdleCheck();
    try {
      const ms = this.options.timing.headTimeoutMs;
      const head = await withTimeout(this.options.head(), ms, () => new Error(`no answer within ${ms} ms`), {
        unref: true,
      });
      if (this.closed) return;
      this.headFailingSince = undefined;
      // A resync began or ended while the head was asked: `appliedBefore` is a revision of another basis than
      // the view's now, and a head of the new history compared with it would look like one more lost history
      // (rule 9). The next look asks again if it must.
      if (this.basisChanges !== basisBefore) return;
      this.lastBackendRevision = head.revision;
      this.evaluateHead(head, appliedBefore, askedAt);
    } catch (error) {
      if (this.closed) return;
      this.headFailingSince ??= Date.now();
      this.lastErrorText = `head check failed: ${errorText(error)}`;
      this.options.logger.debug({ err: error }, "backend head check failed");
    }
  }

  private evaluateHead(head: BackendHead, appliedBefore: number, askedAt: number): void {
    const { view, feed, timing } = this.options;
    const now = Date.now();
    if (feed.staging) {
      this.checkSnapshotProgress(now);
      return;
    }
    if (!view.ready) return;
    const broken = historyBreak(
      head,
      { epoch: view.epoch, revision: appliedBefore },
      "the backend",
      "the replica's applied",
    );
    if (broken !== undefined) {
      feed.resync(broken);
      return;
    }
    const progressed = view.revision > this.appliedAtLastCheck;
    this.appliedAtLastCheck = view.revision;
    if (head.revision <= view.revision) {
      this.caughtUp();
      this.caughtUpAt = Math.max(this.caughtUpAt, askedAt);
      if (now - this.lastRestartAt >= FEED_RESTART_BACKOFF.maxMs) this.restartsInRow = 0;
      return;
    }
    this.markLag(head.revision, now);
    if (progressed) {
      // Lagging, not stalled: the feed delivers, only later than the head moves. Leave it alone.
      this.noProgressSince = now;
      this.stalledSince = undefined;
      return;
    }
    this.noProgressSince ??= now;
    if (now - this.noProgressSince < timing.stallTimeoutMs) return;
    this.stalledSince ??= this.noProgressSince;
    if (now - this.noProgressSince < this.restartPatience(timing.stallTimeoutMs)) return;
    this.noProgressSince = now;
    this.requestRestart(`feed stalled at revision ${view.revision} while the backend is at ${head.revision}`);
  }

  /** How long a feed must make no progress before it is restarted, given the restarts in a row so far. */
  private restartPatience(first: number): number {
    if (this.restartsInRow === 0) return first;
    return Math.max(first, backoffDelay(this.restartsInRow + 1, FEED_RESTART_BACKOFF));
  }

  /** Nothing known to be missing: no stall, no lag. */
  private caughtUp(): void {
    this.noProgressSince = undefined;
    this.stalledSince = undefined;
    this.lagMarks = [];
  }

  /** The backend is known to hold `revision`, which the replica has not applied yet. */
  private markLag(revision: number, now: number): void {
    const lastMark = this.lagMarks.at(-1);
    if (lastMark === undefined || revision > lastMark.revision) this.lagMarks.push({ revision, at: now });
  }

  /** Drops the lag marks the replica has now passed. */
  private passLagMarks(): void {
    const revision = this.options.view.revision;
    let n = 0;
    while (n < this.lagMarks.length && (this.lagMarks[n] as { revision: number }).revision <= revision) n++;
    if (n === 0) return;
    this.lagMarks.splice(0, n);
    // Everything the backend was known to hold is applied: nothing is missing, however long it took.
    if (this.lagMarks.length === 0) this.caughtUp();
  }

  /**
   * Rule 6 across a compaction: a feed that resumes after the replica last knew it was caught up more than
   * half the tombstone retention ago may have missed deletes whose tombstones were compacted away since —
   * a resumed feed cannot see a delete that is no longer stored. Such a replica resyncs from a snapshot.
   */
  private awayTooLong(): boolean {
    const retention = this.options.tombstoneRetentionMs;
    return (
      retention > 0 &&
      this.options.view.ready &&
      this.options.history &&
      Date.now() - this.caughtUpAt > retention / 2
    );
  }
}
