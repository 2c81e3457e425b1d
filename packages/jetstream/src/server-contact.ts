// When the server last said something on this connection, and whether that is as good as asking it now.
//
// JetStream's pre-write history check (rule 4 across histories, issue 22 item 2) needs "this client has heard
// every deletion or creation of the stream that the server announced before now". A ping answers that: the
// server sends what it announced before our ping ahead of its pong. So does any other message the server sent
// us a moment ago — an acknowledgement of the last write, a delivery of the feed — with a window larger by no
// more than the time since it arrived. Under load a host hears from the server all the time, and a ping per
// conditional write cost a contended `update()` a quarter of its throughput (bench `update.contention`), so
// the check pings only when the server was last heard longer ago than one round trip (clamped to
// [`MIN_WINDOW_MS`, `MAX_WINDOW_MS`]): the window in which a recreated bucket can go unnoticed grows from one
// round trip to at most two.
// Rules cited here: docs/semantics.md#rule-4.

/** Below this, "one round trip" is rounded up: a loopback ping's 0.1 ms says nothing about the next one. */
export const MIN_WINDOW_MS = 1;
/** Above this, a slow round trip does not widen the window further: a ping is cheaper than the doubt. */
export const MAX_WINDOW_MS = 5;

/** The freshness of what this connection last heard from the server (see the file comment). */
export class ServerContact {
  private heardAt = Number.NEGATIVE_INFINITY;
  private roundTripMs: number | undefined;

  /** The server sent a message to this connection (an acknowledgement, a delivery, a pong). */
  heard(): void {
    this.heardAt = performance.now();
  }

  /** A ping sent at `sentAt` (`performance.now()`) was answered now: its round trip sets the window. */
  answered(sentAt: number): void {
    const now = performance.now();
    this.roundTripMs = now - sentAt;
    this.heardAt = now;
  }

  /** The window a message heard counts for: one measured round trip, clamped; none before the first ping. */
  get windowMs(): number {
    if (this.roundTripMs === undefined) return 0;
    return Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, this.roundTripMs));
  }

  /** The server was heard within the window: what it announced before then has arrived (no ping needed). */
  heardRecently(now = performance.now()): boolean {
    return now - this.heardAt <= this.windowMs;
  }
}
