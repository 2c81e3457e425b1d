// The feed of one subscription: an atomic snapshot (or a resume point), then the change-log stream read
// with XREAD on a dedicated connection. Reports `gap` when the stream no longer holds what the feed needs
// or the lattice's history changed, and `connection(false/true)` while its connection is down/back.
import type {
  BackendEntry,
  BackendHead,
  FeedSink,
  FeedSubscription,
  Logger,
  RecentDeliveries,
} from "@lattice-cache/core";
import { decodeChangeLogEntry } from "./change-log-entry.js";
import { rewriteOf } from "./delivered-change.js";
import { decodeEntryRecord } from "./entry-record.js";
import type { LatticeHead, LatticeScripts, RedisClient } from "./lua-scripts.js";
import { reconnectBackoff } from "./redis-client-factory.js";
import { errorText, isPermissionError, redactSecrets } from "./redis-errors.js";
import type { RedisKeyLayout } from "./redis-keys.js";

/** What a feed needs from its backend. */
export interface ChangeFeedContext {
  /** A dedicated, not yet connected client; the feed owns it and disconnects it when done. */
  readonly client: RedisClient;
  /** The lattice scripts bound to `client`. */
  readonly scripts: LatticeScripts;
  readonly keys: RedisKeyLayout;
  readonly feedBlockMs: number;
  readonly feedBatchSize: number;
  readonly snapshotInlineLimit: number;
  readonly maxReconnectDelayMs: number;
  readonly logger: Logger;
  /** The epoch of the backend's last completed snapshot: a resume in another epoch would mix two histories. */
  readonly knownEpoch: () => string | undefined;
  /** Called when a snapshot feed has synced, with its epoch. */
  readonly onSnapshotSynced: (epoch: string) => void;
  /** Called once the feed has stopped for good (closed, or after a gap). */
  readonly onStopped: () => void;
  /** The last changes the backend's feeds delivered, checked against the change log on every resume. */
  readonly delivered: RecentDeliveries<BackendEntry>;
}

/** The feed cannot continue without losing changes; the replica must resync. */
class FeedGap extends Error {}

/** A running feed (see the file comment). Created by `RedisBackend.subscribe`. */
export class ChangeFeed implements FeedSubscription {
  private closed = false;
  private reportedDown = false;
  private lastProblem: string | undefined;
  /** The last revision delivered (or known to be covered by the snapshot). */
  private position = 0;
  /** The history the delivered entries belong to. */
  private epoch: string | undefined;
  /** `synced` is due once `position` reaches this. */
  private syncTarget = 0;
  private synced = false;
  private started = false;
  private wake: (() => void) | undefined;
  private readonly finished: Promise<void>;
  private readonly loggedBadRecords = new Set<string>();

  constructor(
    private readonly ctx: ChangeFeedContext,
    private readonly afterRevision: number,
    private readonly sink: FeedSink,
  ) {
    if (afterRevision === 0) ctx.delivered.clear();
    const client = ctx.client;
    client.on("error", (error: unknown) => {
      this.lastProblem = errorText(redactSecrets(error));
    });
    client.on("close", () => this.onDown());
    client.on("ready", () => this.onUp());
    this.finished = this.run().finally(() => ctx.onStopped());
  }

  /** Stops the feed and closes its connection. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.wake?.();
      this.ctx.client.disconnect();
    }
    await this.finished;
  }

  private async run(): Promise<void> {
    const backoff = reconnectBackoff(this.ctx.maxReconnectDelayMs);
    let failures = 0;
    while (!this.closed) {
      try {
        await this.untilReady();
        if (this.closed) return;
        if (this.started) await this.revalidate();
        else await this.start();
        failures = 0;
        this.markUp(); // e.g. after a permission problem on a connection that never dropped
        await this.follow();
      } catch (error) {
        if (this.closed) return;
        if (error instanceof FeedGap) {
          this.stopAfterGap(error.message);
          return;
        }
        failures += 1;
        this.lastProblem = errorText(redactSecrets(error));
        if (isPermissionError(error)) {
          // Not transient, but the operator may fix the ACL: keep trying, and say why the replica is stale.
          if (!this.reportedDown)
            this.ctx.logger.error({ err: error }, "redis feed: permission denied; retrying");
          this.markDown(this.lastProblem);
        } else {
          this.ctx.logger.debug({ err: error, position: this.position }, "redis feed interrupted; resuming");
        }
        await this.pause(backoff(failures));
      }
    }
  }

  /** Establishes the starting point: an atomic snapshot, or a checked resume after `afterRevision`. */
  private async start(): Promise<void> {
    if (this.afterRevision === 0) await this.snapshot();
    else await this.resume();
    this.started = true;
  }

  private async snapshot(): Promise<void> {
    const snap = await this.ctx.scripts.snapshot(this.ctx.snapshotInlineLimit);
    // A retried snapshot may only add to what an interrupted one delivered if both saw the same history.
    if (this.epoch !== undefined && snap.epoch !== this.epoch) {
      throw new FeedGap(
        `lattice history changed during the initial snapshot (epoch ${this.epoch} → ${snap.epoch})`,
      );
    }
    this.epoch = snap.epoch;
    if (snap.records !== undefined) {
      for (const [field, record] of snap.records) this.deliverRecord(field, record);
      this.syncTarget = snap.revision;
    } else {
      // Too big for one atomic call: scan in chunks. Entries changed meanwhile have revisions above
      // snap.revision, so replaying the change log from there up to the head read after the scan makes
      // the result consistent (and any version seen twice is ignored by rule 1).
      await this.scanEntries();
      const after = await this.ctx.scripts.head();
      if (after.epoch !== snap.epoch) {
        throw new FeedGap(
          `lattice history changed during the snapshot (epoch ${snap.epoch} → ${after.epoch})`,
        );
      }
      this.syncTarget = after.revision;
    }
    this.position = snap.revision;
  }

  private async scanEntries(): Promise<void> {
    let cursor = "0";
    do {
      const [next, flat] = await this.ctx.client.hscanBuffer(this.ctx.keys.entries, cursor, "COUNT", 1000);
      for (let i = 0; i + 1 < flat.length; i += 2) {
        this.deliverRecord(flat[i] as Buffer, flat[i + 1] as Buffer);
      }
      cursor = next.toString("latin1");
      if (this.closed) return;
    } while (cursor !== "0");
  }

  private async resume(): Promise<void> {
    const head = await this.ctx.scripts.head();
    const known = this.ctx.knownEpoch();
    if (known !== undefined && head.epoch !== known) {
      throw new FeedGap(
        `lattice history changed (epoch ${known} → ${head.epoch}); cannot resume after ${this.afterRevision}`,
      );
    }
    this.checkContinuity(head, this.afterRevision);
    await this.checkDelivered(this.afterRevision);
    this.epoch = head.epoch;
    this.position = this.afterRevision;
    this.syncTarget = head.revision;
  }

  /** After a reconnection: is the stream still the continuation of what this feed delivered? */
  private async revalidate(): Promise<void> {
    const head = await this.ctx.scripts.head();
    if (head.epoch !== this.epoch) {
      throw new FeedGap(`lattice history changed while disconnected (epoch ${this.epoch} → ${head.epoch})`);
    }
    this.checkContinuity(head, this.position);
    await this.checkDelivered(this.position);
  }

  /** Throws a gap when the change log now holds another change at a revision this backend delivered. */
  private async checkDelivered(position: number): Promise<void> {
    const delivered = this.ctx.delivered.upTo(position);
    if (delivered.length === 0) return;
    const pipeline = this.ctx.client.pipeline();
    for (const entry of delivered)
      pipeline.xrangeBuffer(this.ctx.keys.changes, `${entry.revision}-0`, `${entry.revision}-0`);
    const replies = (await pipeline.exec()) ?? [];
    for (const [i, entry] of delivered.entries()) {
      const [error, items] = replies[i] ?? [null, []];
      if (error) throw error;
      const item = (items as [Buffer, Buffer[]][])[0];
      if (item === undefined) continue; // trimmed from the log: nothing to compare
      let logged: ReturnType<typeof decodeChangeLogEntry>;
      try {
        logged = decodeChangeLogEntry(item[0], item[1]);
      } catch (error) {
        throw new FeedGap(`unreadable change-log entry at revision ${entry.revision}: ${errorText(error)}`);
      }
      const rewrite = rewriteOf(entry, logged);
      if (rewrite !== undefined) throw new FeedGap(rewrite);
    }
  }

  private checkContinuity(head: LatticeHead, position: number): void {
    if (head.revision < position) {
      throw new FeedGap(
        `backend revision ${head.revision} is behind this feed's revision ${position}: history lost`,
      );
    }
    if (head.revision > position && (head.oldestLogged === 0 || head.oldestLogged > position + 1)) {
      throw new FeedGap(
        `change log starts at revision ${head.oldestLogged || "(empty)"} but this feed needs ${position + 1}: ` +
          "it was trimmed (raise changeLogLength)",
      );
    }
  }

  /** Reads the change log after `position`: catching up without blocking, then live with XREAD BLOCK. */
  private async follow(): Promise<void> {
    const { client, keys, feedBatchSize, feedBlockMs } = this.ctx;
    while (!this.closed) {
      if (!this.synced && this.position >= this.syncTarget) this.markSynced();
      const catchingUp = this.position < this.syncTarget;
      const from = `${this.position}-0`;
      const reply = catchingUp
        ? await client.xreadBuffer("COUNT", feedBatchSize, "STREAMS", keys.changes, from)
        : await client.xreadBuffer(
            "COUNT",
            feedBatchSize,
            "BLOCK",
            feedBlockMs,
            "STREAMS",
            keys.changes,
            from,
          );
      if (this.closed) return;
      const items = reply?.[0]?.[1] ?? [];
      if (items.length === 0) {
        await this.idleCheck(catchingUp);
        continue;
      }
      for (const [id, fields] of items) {
        let entry: ReturnType<typeof decodeChangeLogEntry>;
        try {
          entry = decodeChangeLogEntry(id, fields);
        } catch (error) {
          throw new FeedGap(
            `unreadable change-log entry after revision ${this.position}: ${errorText(error)}`,
          );
        }
        if (entry.epoch !== this.epoch) {
          throw new FeedGap(
            `lattice history changed (epoch ${this.epoch} → ${entry.epoch}) at revision ${entry.revision}`,
          );
        }
        if (entry.revision !== this.position + 1) {
          throw new FeedGap(
            `change log jumps from revision ${this.position} to ${entry.revision}: trimmed past this feed (raise changeLogLength)`,
          );
        }
        this.position = entry.revision;
        const { epoch: _epoch, ...change } = entry;
        this.ctx.delivered.note(change);
        this.sink.entry(change);
        if (this.closed) return;
      }
    }
  }

  /** Nothing new: a cheap check that the history under us is still the same one (a purge makes no noise). */
  private async idleCheck(catchingUp: boolean): Promise<void> {
    const head = await this.ctx.scripts.head();
    if (this.closed) return;
    if (head.epoch !== this.epoch) {
      throw new FeedGap(`lattice history changed (epoch ${this.epoch} → ${head.epoch})`);
    }
    if (head.revision < this.position) {
      throw new FeedGap(
        `backend revision ${head.revision} is behind this feed's revision ${this.position}: history lost`,
      );
    }
    if (catchingUp) {
      throw new FeedGap(
        `change log holds nothing after revision ${this.position} though the backend reached ${this.syncTarget}`,
      );
    }
  }

  private markSynced(): void {
    this.synced = true;
    const epoch = this.epoch ?? "";
    if (this.afterRevision === 0) this.ctx.onSnapshotSynced(epoch);
    const head: BackendHead = { revision: this.syncTarget, epoch };
    this.sink.synced(head);
  }

  private deliverRecord(field: Buffer, raw: Buffer): void {
    const key = field.toString("utf8");
    let record: ReturnType<typeof decodeEntryRecord>;
    try {
      record = decodeEntryRecord(raw);
    } catch (error) {
      // Something else wrote into our hash; skip it (logged once per key) rather than poison the replica.
      if (!this.loggedBadRecords.has(key) && this.loggedBadRecords.size < 1000) {
        this.loggedBadRecords.add(key);
        this.ctx.logger.warn(
          { key, reason: errorText(error) },
          "redis feed: skipping a malformed entry record",
        );
      }
      return;
    }
    const entry = { key, value: record.value, revision: record.revision, origin: record.origin };
    this.ctx.delivered.note(entry);
    this.sink.entry(entry);
  }

  private stopAfterGap(reason: string): void {
    this.ctx.logger.warn(
      { reason, position: this.position },
      "redis feed cannot continue; asking for a resync",
    );
    this.closed = true;
    this.ctx.client.disconnect();
    this.sink.gap(reason);
  }

  private onDown(): void {
    if (this.closed) return;
    this.markDown(this.lastProblem ?? "connection closed");
  }

  private markDown(detail: string): void {
    if (this.reportedDown) return;
    this.reportedDown = true;
    this.sink.connection(false, detail);
  }

  private onUp(): void {
    this.wake?.();
    this.markUp();
  }

  private markUp(): void {
    if (this.closed || !this.reportedDown) return;
    this.reportedDown = false;
    this.lastProblem = undefined;
    this.sink.connection(true);
  }

  private async untilReady(): Promise<void> {
    const client = this.ctx.client;
    const isReady = () => client.status === "ready";
    if (isReady()) return;
    if (client.status === "wait") client.connect().catch(() => {});
    // The client reconnects by itself (retry strategy); wait for it, or for close().
    while (!this.closed && !isReady()) await this.pause(this.ctx.maxReconnectDelayMs * 2);
  }

  /** Sleeps `ms`, or less when the connection comes back or the feed is closed. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}
