// What an async-iterator watcher has not read yet, in order: live events one by one, and a resync's changes
// as one batch, kept by reference. A resync emits its whole diff at once; a watcher that reads promptly must
// get all of it, so the rest of the batch it is reading does not count against its buffer limit — what comes
// after it does.
// Rules cited here: docs/semantics.md#rule-9.
import type { LatticeChange } from "./change-event.js";

interface Segment {
  readonly events: LatticeChange[];
  /** Index of the next unread event. */
  next: number;
  /** A batch (a resync's diff) rather than live events appended one by one. */
  readonly batch: boolean;
}

/** A read position past which a live segment's read events are dropped. */
const COMPACT_AFTER = 1_024;

/** The unread events of one watcher (see the file comment). */
export class PendingEvents {
  private readonly segments: Segment[] = [];
  private total = 0;

  /** Unread events. */
  get length(): number {
    return this.total;
  }

  /** Unread events that count against the buffer limit: all but the rest of a batch being read. */
  get counted(): number {
    const head = this.segments[0];
    return head?.batch ? this.total - (head.events.length - head.next) : this.total;
  }

  /** Appends one live event. */
  push(event: LatticeChange): void {
    const last = this.segments.at(-1);
    if (last !== undefined && !last.batch) last.events.push(event);
    else this.segments.push({ events: [event], next: 0, batch: false });
    this.total += 1;
  }

  /** Appends a batch from index `from` on; `events` is kept as it is and never changed. */
  pushBatch(events: LatticeChange[], from = 0): void {
    if (from >= events.length) return;
    this.segments.push({ events, next: from, batch: true });
    this.total += events.length - from;
  }

  /** The oldest unread event, or undefined. */
  shift(): LatticeChange | undefined {
    const head = this.segments[0];
    if (head === undefined) return undefined;
    const event = head.events[head.next] as LatticeChange;
    head.next += 1;
    this.total -= 1;
    if (head.next >= head.events.length) this.segments.shift();
    else if (!head.batch && head.next >= COMPACT_AFTER && head.next * 2 >= head.events.length) {
      head.events.splice(0, head.next);
      head.next = 0;
    }
    return event;
  }

  /** Forgets every unread event. */
  clear(): void {
    this.segments.length = 0;
    this.total = 0;
  }
}
