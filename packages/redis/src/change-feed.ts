// The transport of a Redis feed (core's `followLog` runs the feed itself): snapshots of the entries hash,
// the change-log stream read with XREAD on a dedicated connection, the head from the head script.
import {
  type BackendHead,
  type DeliveredChange,
  errorText,
  LogGapError,
  type LoggedChange,
  type Logger,
  type LogHead,
  type LogSignals,
  type LogTransport,
} from "@lattice-cache/core/backend";
import { decodeChangeLogEntry } from "./change-log-entry.js";
import { decodeEntryRecord } from "./entry-record.js";
import { LatticeScripts, type RedisClient } from "./lua-scripts.js";
import { redisErrorText } from "./redis-errors.js";
import type { RedisKeyLayout } from "./redis-keys.js";

/** What the transport of one feed needs. */
export interface ChangeLogOptions {
  /** A dedicated, not yet connected client; the transport owns it and disconnects it on `close()`. */
  readonly client: RedisClient;
  readonly keys: RedisKeyLayout;
  readonly changeLogLength: number;
  readonly snapshotInlineLimit: number;
  /** How long `connect()` waits for the connection before failing (the client keeps reconnecting). */
  readonly readyWaitMs: number;
  readonly logger: Logger;
}

type StreamItem = [id: Buffer, fields: Buffer[]];

/** One feed's view of the lattice's keys (see the file comment). Created by `RedisBackend.subscribe`. */
export class RedisChangeLog implements LogTransport {
  private readonly scripts: LatticeScripts;
  private readonly client: RedisClient;
  private problem: string | undefined;
  private closed = false;
  private cancelWait: (() => void) | undefined;
  private readonly skippedKeys = new Set<string>();

  constructor(
    private readonly options: ChangeLogOptions,
    signals: LogSignals,
  ) {
    this.client = options.client;
    this.scripts = new LatticeScripts(this.client, options.keys, options.changeLogLength);
    this.client.on("error", (error: unknown) => {
      this.problem = redisErrorText(error);
    });
    this.client.on("close", () => {
      if (!this.closed) signals.connection(false, this.problem ?? "connection closed");
    });
    this.client.on("ready", () => {
      this.problem = undefined;
      signals.connection(true, "connected");
    });
  }

  async connect(): Promise<void> {
    const client = this.client;
    if (this.closed) throw new Error("the feed is closed");
    if (client.status === "ready") return;
    // Started once; from then on the client reconnects by itself (retry strategy).
    if (client.status === "wait" || client.status === "end") client.connect().catch(() => {});
    await new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        client.off("ready", onReady);
        this.cancelWait = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = () => finish();
      const timer = setTimeout(
        () => finish(new Error(this.problem ?? "no connection yet")),
        this.options.readyWaitMs,
      );
      client.on("ready", onReady);
      this.cancelWait = () => finish(new Error("the feed is closed"));
    });
  }

  /** The head; a feed may provision the epoch (a new history begins), as its snapshot does. */
  async head(): Promise<LogHead> {
    const head = await this.scripts.head(true);
    return { revision: head.revision, epoch: head.epoch, oldest: head.oldestLogged };
  }

  async snapshot(deliver: (change: DeliveredChange) => void): Promise<BackendHead> {
    const snap = await this.scripts.snapshot(this.options.snapshotInlineLimit);
    const head = { revision: snap.revision, epoch: snap.epoch };
    if (snap.records !== undefined) {
      for (const [field, record] of snap.records) this.deliverRecord(field, record, deliver);
      return head;
    }
    // Too big for one atomic call: HSCAN chunks. Entries changed meanwhile have revisions above
    // snap.revision, where the feed replays the change log from; the head it reads after the scan must be
    // in the snapshot's epoch (or it reports a gap), and is where it reports `synced`.
    let cursor = "0";
    do {
      const [next, flat] = await this.client.hscanBuffer(this.options.keys.entries, cursor, "COUNT", 1000);
      for (let i = 0; i + 1 < flat.length; i += 2) {
        this.deliverRecord(flat[i] as Buffer, flat[i + 1] as Buffer, deliver);
      }
      cursor = next.toString("latin1");
    } while (cursor !== "0" && !this.closed);
    return head;
  }

  async read(after: number, limit: number, waitMs: number): Promise<readonly LoggedChange[]> {
    const { changes } = this.options.keys;
    const from = `${after}-0`;
    const reply =
      waitMs > 0
        ? await this.client.xreadBuffer("COUNT", limit, "BLOCK", waitMs, "STREAMS", changes, from)
        : await this.client.xreadBuffer("COUNT", limit, "STREAMS", changes, from);
    return (reply?.[0]?.[1] ?? []).map(([id, fields]) => loggedChange(id, fields));
  }

  async readAt(revisions: readonly number[]): Promise<readonly (DeliveredChange | undefined)[]> {
    const pipeline = this.client.pipeline();
    for (const revision of revisions) {
      pipeline.xrangeBuffer(this.options.keys.changes, `${revision}-0`, `${revision}-0`);
    }
    const replies = (await pipeline.exec()) ?? [];
    return revisions.map((_, i) => {
      const [error, items] = replies[i] ?? [null, []];
      if (error) throw error;
      const item = (items as StreamItem[])[0];
      return item && loggedChange(item[0], item[1]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelWait?.();
    this.client.disconnect(); // rejects a pending XREAD
  }

  private deliverRecord(field: Buffer, raw: Buffer, deliver: (change: DeliveredChange) => void): void {
    const key = field.toString("utf8");
    let record: ReturnType<typeof decodeEntryRecord>;
    try {
      record = decodeEntryRecord(raw);
    } catch (error) {
      // Something else wrote into our hash; skip it (logged once per key) rather than poison the replica.
      if (!this.skippedKeys.has(key) && this.skippedKeys.size < 1000) {
        this.skippedKeys.add(key);
        this.options.logger.warn(
          { key, reason: errorText(error) },
          "redis feed: skipping a malformed entry record",
        );
      }
      return;
    }
    // A tombstone's delete time lets replicas prune it by when it was deleted, not by when they saw it.
    deliver({
      key,
      value: record.value,
      revision: record.revision,
      origin: record.origin,
      ...(record.deletedAt === undefined ? {} : { writtenAt: record.deletedAt }),
    });
  }
}

/**
 * A change-log entry as the feed takes it. One the write script did not make belongs to no history of the
 * lattice: the feed ends with a gap rather than skip it.
 */
function loggedChange(id: Buffer, fields: Buffer[]): LoggedChange {
  try {
    return decodeChangeLogEntry(id, fields);
  } catch (error) {
    throw new LogGapError(`unreadable change-log entry ${id.toString("latin1")}: ${errorText(error)}`);
  }
}
