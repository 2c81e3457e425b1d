// The writes a backend has sent and not yet heard back about, so that close() can wait for them (bounded)
// instead of cutting the connection under them (issue 22 item 6).
// Rules cited here: docs/semantics.md#rule-10.

/**
 * Tracks writes in flight. A backend's `close()` calls `settle(graceMs)` before closing its connection, so
 * a write the server is about to acknowledge resolves with its revision rather than failing for a store
 * that holds it.
 */
export class InFlightWrites {
  private readonly pending = new Set<Promise<unknown>>();

  /** How many writes are in flight. */
  get size(): number {
    return this.pending.size;
  }

  /** Tracks `write` until it settles; returns it unchanged. */
  track<T>(write: Promise<T>): Promise<T> {
    this.pending.add(write);
    const done = () => this.pending.delete(write);
    write.then(done, done);
    return write;
  }

  /** Resolves once every tracked write has settled, or after `graceMs`, whichever comes first. Never rejects. */
  async settle(graceMs: number): Promise<void> {
    if (this.pending.size === 0 || graceMs <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
