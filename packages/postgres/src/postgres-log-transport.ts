// A lattice's change log as core's `followLog` reads it (packages/core/src/log-feed.ts): the feed loop —
// snapshot or checked resume, catch-up, following the log, retries with backoff, the proof of the history on
// every resume, connection reports — is core's; this transport only reads, on a connection of its own that
// LISTENs to the lattice's channel, so a committed write wakes a waiting read at once (pushed). A read that
// hears nothing for `waitMs` reads anyway (the fallback poll). Every method may throw: the feed reports the
// connection down, backs off and calls `connect()` again, which opens a new connection.
// Rules cited here: docs/semantics.md#rule-1, #rule-8, #rule-9.
import {
  type BackendHead,
  type DeliveredChange,
  LogGapError,
  type LoggedChange,
  type LogHead,
  type LogSignals,
  type LogTransport,
} from "@lattice-cache/core/backend";
import pg, { type ClientConfig } from "pg";
import { endConnection } from "./connection-shutdown.js";
import { provisionLattice } from "./lattice-provisioning.js";
import {
  CHANGE_COLUMNS,
  type ChangeRow,
  changeOf,
  readChangesAfter,
  readChangesAt,
  readHead,
  readLogHead,
} from "./lattice-queries.js";
import type { LatticeSchema } from "./lattice-schema.js";
import { isMissingLattice, postgresErrorText, sqlState } from "./postgres-errors.js";

/** Entries a snapshot fetches per round trip from its cursor. */
const SNAPSHOT_CHUNK = 1_000;

/** What the transport of one feed needs. */
export interface PostgresLogTransportOptions {
  /** The settings of the feed's own connection. */
  readonly config: ClientConfig;
  readonly schema: LatticeSchema;
}

/** One feed's reader of a lattice's change log (see the file comment). Created by `PostgresBackend.subscribe`. */
export class PostgresLogTransport implements LogTransport {
  private client: pg.Client | undefined;
  /** The client is connected and listening. */
  private listening = false;
  private closed = false;
  /** Aborted by `close()`: what waits on the connection stops waiting (see {@link unlessClosed}). */
  private readonly closing = new AbortController();
  /** Notifications heard so far: a read compares before and after its query. */
  private notifications = 0;
  private wakeReader: (() => void) | undefined;

  constructor(
    private readonly options: PostgresLogTransportOptions,
    private readonly signals: LogSignals,
  ) {}

  /** Opens a new connection (dropping one that failed) and LISTENs to the lattice's channel. */
  async connect(): Promise<void> {
    if (this.closed) throw new Error("the feed is closed");
    if (this.client !== undefined && this.listening) return;
    if (this.client !== undefined) void endConnection(this.client);
    const client = new pg.Client(this.options.config);
    this.client = client;
    this.listening = false;
    let problem: string | undefined;
    client.on("error", (error) => {
      problem = postgresErrorText(error);
    });
    client.on("end", () => this.lost(client, problem ?? "the connection closed"));
    client.on("notification", (message) => {
      if (message.channel !== this.options.schema.name) return;
      this.notifications++;
      this.wakeReader?.();
    });
    await this.unlessClosed(client.connect());
    await client.query(`LISTEN ${this.options.schema.channel}`);
    if (this.client === client && !this.closed) this.listening = true;
  }

  /** The head and how far back the log reaches; creates the lattice when it is missing (a new history). */
  head(): Promise<LogHead> {
    const { schema } = this.options;
    return this.use(async (client) => {
      try {
        const head = await readLogHead(client, schema);
        if (head.epoch !== "") return head;
      } catch (error) {
        if (!isMissingLattice(error)) throw error;
      }
      await provisionLattice(client, schema);
      return readLogHead(client, schema);
    });
  }

  /** Every entry, tombstones included, read in one repeatable-read transaction with the head it matches. */
  snapshot(deliver: (change: DeliveredChange) => void): Promise<BackendHead> {
    const { schema } = this.options;
    return this.use(async (client) => {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        const head = await readHead(client, schema);
        await client.query(
          `DECLARE lattice_snapshot NO SCROLL CURSOR FOR SELECT ${CHANGE_COLUMNS} FROM ${schema.entries}`,
        );
        for (;;) {
          const { rows } = await client.query<ChangeRow>(`FETCH ${SNAPSHOT_CHUNK} FROM lattice_snapshot`);
          for (const row of rows) deliver(changeOf(row));
          if (rows.length < SNAPSHOT_CHUNK || this.closed) break;
        }
        await client.query("COMMIT");
        return head;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    });
  }

  /**
   * Up to `limit` changes after `after`; when there is none, waits up to `waitMs` for a notification, then
   * reads again. A notification that arrives while the first read runs is not missed: it is counted.
   */
  async read(after: number, limit: number, waitMs: number): Promise<readonly LoggedChange[]> {
    const heard = this.notifications;
    const changes = await this.readAfter(after, limit);
    if (changes.length > 0 || waitMs === 0 || this.closed) return changes;
    if (this.notifications === heard) await this.notificationOrTimeout(waitMs);
    if (this.closed) return [];
    return this.readAfter(after, limit);
  }

  readAt(revisions: readonly number[]): Promise<readonly (DeliveredChange | undefined)[]> {
    return this.use((client) => readChangesAt(client, this.options.schema, revisions));
  }

  /** Ends the connection; a pending read settles at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.wakeReader?.();
    if (this.client !== undefined) await endConnection(this.client);
  }

  /**
   * `work`, or a rejection as soon as the transport closes. node-postgres never settles the `connect()` of a
   * client that was ended while it connected; without this a feed reconnecting when its backend closed would
   * hold `close()` forever.
   */
  private unlessClosed<T>(work: Promise<T>): Promise<T> {
    const signal = this.closing.signal;
    if (signal.aborted) return Promise.reject(new Error("the feed is closed"));
    return new Promise<T>((resolve, reject) => {
      const onClose = () => reject(new Error("the feed is closed"));
      signal.addEventListener("abort", onClose, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onClose));
    });
  }

  private readAfter(after: number, limit: number): Promise<DeliveredChange[]> {
    return this.use((client) => readChangesAfter(client, this.options.schema, after, limit));
  }

  /**
   * Runs `work` on the connected client. A failure other than the server's answer (a timeout, a cut) leaves
   * the connection unusable — a timed-out query still occupies it — so the feed's next `connect()` opens a
   * new one; a missing lattice is a gap.
   */
  private async use<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = this.connected();
    try {
      return await work(client);
    } catch (error) {
      if (sqlState(error) === undefined && client === this.client) this.listening = false;
      throw this.gapIfMissing(error);
    }
  }

  /** The connected client; throws when the connection was lost (the feed then reconnects). */
  private connected(): pg.Client {
    if (this.closed) throw new Error("the feed is closed");
    if (this.client === undefined || !this.listening) throw new Error("not connected");
    return this.client;
  }

  /**
   * A lattice dropped under the feed lost its history: no reconnection brings it back, the replica must
   * resync (a new feed's head creates it again, with a new epoch).
   */
  private gapIfMissing(error: unknown): unknown {
    if (!isMissingLattice(error)) return error;
    return new LogGapError(
      `lattice ${this.options.schema.name} is gone (${postgresErrorText(error)}): its history was lost`,
    );
  }

  private notificationOrTimeout(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeReader === done) this.wakeReader = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeReader = done;
    });
  }

  private lost(client: pg.Client, detail: string): void {
    if (client !== this.client) return;
    this.listening = false;
    this.wakeReader?.();
    if (!this.closed) this.signals.connection(false, detail);
  }
}
