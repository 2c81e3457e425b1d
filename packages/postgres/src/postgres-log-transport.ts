// The postgres store's change log as core's `followLog` reads it (packages/core/src/log-feed.ts): the feed
// loop — snapshot or checked resume, catch-up, following the log, retries with backoff, the proof of the
// history on every resume, connection reports — is core's; this transport only reads. Every method may
// throw: the feed reports the connection down, backs off and tries again. packages/core/src/memory-backend.ts
// (MemoryLog) and packages/redis/src/change-feed.ts are two complete transports to read beside this one.
// Rules cited here: docs/semantics.md#rule-1, #rule-9.
import type {
  BackendHead,
  DeliveredChange,
  LoggedChange,
  LogHead,
  LogSignals,
  LogTransport,
} from "@lattice-cache/core";
import { notImplemented } from "./not-implemented.js";
import { type ResolvedPostgresBackendOptions, redactUrl } from "./postgres-backend-options.js";

/** Where the rules of a log transport are. */
const LOG_TRANSPORT = "packages/core/src/log-feed.ts (LogTransport)";

/** One feed's reader of the postgres lattice's change log. Created by `PostgresBackend.subscribe`. */
export class PostgresLogTransport implements LogTransport {
  private closed = false;

  /**
   * @param options - the backend's options: where the server is, which lattice
   * @param signals - how the transport tells its feed that the connection dropped or came back
   *   (`signals.connection`, from the client's events) and cuts the feed's backoff short (`signals.wake`)
   */
  constructor(
    private readonly options: ResolvedPostgresBackendOptions,
    readonly signals: LogSignals,
  ) {}

  /** Resolves once the transport can read, connecting a connection of its own if needed. */
  async connect(): Promise<void> {
    if (this.closed) throw new Error("the feed is closed");
    throw notImplemented(
      "the feed's connect()",
      `open a connection of this feed's own to ${redactUrl(this.options.url)} (report it dropping and coming ` +
        "back through signals.connection) and resolve once it can read; throw while it cannot",
      LOG_TRANSPORT,
    );
  }

  /** The lattice's head, and how far back its change log reaches. */
  async head(): Promise<LogHead> {
    throw notImplemented(
      "the feed's head()",
      `read lattice ${this.options.prefix}'s latest revision, its epoch and the oldest revision its change ` +
        "log still holds (oldest; leave it out when the log is never trimmed)",
      LOG_TRANSPORT,
    );
  }

  /**
   * Every current entry, tombstones included, through `deliver`, in any order; resolves with the head the
   * snapshot is consistent with (the feed replays the change log from there).
   */
  async snapshot(_deliver: (change: DeliveredChange) => void): Promise<BackendHead> {
    throw notImplemented(
      "the feed's snapshot()",
      "deliver every stored entry of the lattice (value null for a tombstone) with its revision and origin, " +
        "and resolve with the revision and epoch the snapshot was read at, atomically, or at a revision the " +
        "change log can be replayed from",
      LOG_TRANSPORT,
    );
  }

  /**
   * Up to `limit` changes after revision `after`, in revision order; when there is none, waits up to
   * `waitMs` for one. Revisions must become visible in increasing order (rule 1): a feed that has read
   * revision 5 never gets a 4 later.
   */
  async read(after: number, limit: number, waitMs: number): Promise<readonly LoggedChange[]> {
    throw notImplemented(
      "the feed's read()",
      `return up to ${limit} changes of the change log after revision ${after}, in revision order, waiting up ` +
        `to ${waitMs} ms when there is none; a revision may only be read once every lower one is visible ` +
        "(a sequence alone does not do it: concurrent commits can land 5 before 4)",
      "docs/semantics.md#rule-1-total-order",
    );
  }

  /** The changes the log holds at `revisions` (undefined where it holds none any more): the history proof. */
  async readAt(revisions: readonly number[]): Promise<readonly (DeliveredChange | undefined)[]> {
    throw notImplemented(
      "the feed's readAt()",
      `return the change-log entries at revisions ${revisions.join(", ")} (undefined where trimmed), so a ` +
        "resuming feed can prove the store still holds what it delivered",
      "docs/semantics.md#the-feed-protocol",
    );
  }

  /**
   * Releases the transport: once connect() opens a connection, close it here too, so that a pending `read`
   * settles (the feed waits for it).
   */
  async close(): Promise<void> {
    this.closed = true;
  }
}
