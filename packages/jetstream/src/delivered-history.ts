// Proof that the stream still holds the history a replica consumed. A stream's creation time (our epoch)
// and its last sequence do not catch every rewrite: nats-server 2.9 can come back from the loss of two R3
// nodes with messages renumbered, and a bucket restored from a backup keeps its creation time while new
// writes reuse the sequences after the backup. Either way the sequences a replica applied now hold other
// messages, a feed that resumes after its cursor cannot tell, and the replica silently differs from the
// server.
//
// So the backend remembers the last few messages its feeds delivered, and a feed that (re)creates its
// consumer starts it at the oldest of them instead of just after its cursor: the replayed messages must be
// the remembered ones. Any difference means the history was rewritten and the replica must resync. The
// proof costs no extra request and no extra permission: a handful of messages on a consumer that is created
// anyway.
import { RecentDeliveries, sameBytes } from "@lattice-cache/core";
import type { MsgHdrs } from "@nats-io/nats-core";
import { HEADERS } from "./kv-message.js";

/** One delivered message: what identifies it — subject, KV operation, write id, bytes — at its revision. */
interface DeliveredMessage {
  /** The stream sequence. */
  readonly revision: number;
  readonly subject: string;
  /** `KV-Operation` (`DEL`, `PURGE`), or `undefined` for a put. */
  readonly operation: string | undefined;
  /** `Nats-Msg-Id` (our write id), or `undefined` for writers that set none. */
  readonly writeId: string | undefined;
  readonly data: Uint8Array;
}

/** How many delivered messages are remembered (and replayed at most, when a feed resumes). */
export const REMEMBERED_DELIVERIES = 16;
/** A resuming feed replays no further back than this many sequences below its cursor. */
const MAX_REPLAY_SPAN = 1_000;

function deliveredMessage(
  revision: number,
  subject: string,
  headers: MsgHdrs | undefined,
  data: Uint8Array,
): DeliveredMessage {
  return {
    revision,
    subject,
    operation: headers?.get(HEADERS.operation) || undefined,
    writeId: headers?.get(HEADERS.messageId) || undefined,
    data,
  };
}

/**
 * The last {@link REMEMBERED_DELIVERIES} messages a backend's feeds delivered (core's `RecentDeliveries`: O(1)
 * per message, a reference to the payload, no copy). Shared by the backend's feeds, so a feed the replica
 * restarts after a stall still knows what came before its cursor.
 */
export class DeliveredHistory {
  private readonly recent = new RecentDeliveries<DeliveredMessage>(REMEMBERED_DELIVERIES);

  /** Remembers a delivered message. */
  record(sequence: number, subject: string, headers: MsgHdrs | undefined, data: Uint8Array): void {
    this.recent.note(deliveredMessage(sequence, subject, headers, data));
  }

  /** Forgets everything (a feed starting from an empty replica). */
  clear(): void {
    this.recent.clear();
  }

  /**
   * Where a feed resuming after `cursor` should start its consumer so that the stream replays the
   * remembered messages up to the cursor: the oldest of them (not more than {@link MAX_REPLAY_SPAN} back),
   * or `cursor + 1` when nothing up to the cursor is remembered.
   */
  replayStart(cursor: number): number {
    let start = cursor + 1;
    for (const message of this.recent.upTo(cursor)) {
      if (cursor - message.revision < MAX_REPLAY_SPAN) start = message.revision;
    }
    return start;
  }

  /**
   * Compares a message the stream holds at `sequence` with the one delivered there before: a description of
   * the difference when it is another message (the history was rewritten), `undefined` when it is the same
   * or nothing was remembered at that sequence.
   */
  differenceAt(
    sequence: number,
    subject: string,
    headers: MsgHdrs | undefined,
    data: Uint8Array,
  ): string | undefined {
    const [delivered] = this.recent.upTo(sequence);
    if (delivered?.revision !== sequence) return undefined;
    const now = deliveredMessage(sequence, subject, headers, data);
    let what: string | undefined;
    if (delivered.subject !== now.subject) what = "another key";
    else if (delivered.operation !== now.operation) what = "another operation";
    else if (delivered.writeId !== now.writeId) what = "another write";
    else if (!sameBytes(delivered.data, now.data)) what = "another value";
    if (what === undefined) return undefined;
    return (
      `the stream's history was rewritten: revision ${sequence} was delivered as ${describe(delivered)}; ` +
      `the stream now holds ${describe(now)} there (${what})`
    );
  }
}

function describe(message: DeliveredMessage): string {
  const what = message.operation === undefined ? `${message.data.length} bytes` : message.operation;
  return `${message.subject} (${what}${message.writeId === undefined ? "" : `, write ${message.writeId}`})`;
}
