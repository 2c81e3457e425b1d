// For backends: what their feeds delivered last. A backend whose history can be rewritten without a new epoch
// (a stream renumbered by its server, a store restored from an older backup) compares these with what it
// holds at the same revisions when a feed resumes; any difference means the replica must resync.

/** How many deliveries {@link RecentDeliveries} keeps unless told otherwise. */
export const DEFAULT_REMEMBERED_DELIVERIES = 16;

/**
 * The last `capacity` items a backend's feeds delivered, in a ring: noting one is O(1) and keeps a reference,
 * no copy. Shared by a backend's feeds, so a feed the replica restarts knows what came before its position.
 */
export class RecentDeliveries<T extends { readonly revision: number }> {
  private readonly ring: (T | undefined)[];
  private next = 0;

  /** @param capacity - how many deliveries are kept (at least 1) */
  constructor(readonly capacity = DEFAULT_REMEMBERED_DELIVERIES) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a whole number >= 1, got ${capacity}`);
    }
    this.ring = new Array(capacity);
  }

  /** Remembers a delivery, forgetting the oldest once `capacity` are kept. */
  note(item: T): void {
    this.ring[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Forgets everything (a feed starting from an empty replica). */
  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
  }

  /**
   * The remembered deliveries at or below revision `position`, newest revision first, one per revision (the
   * one noted last, should a revision have been delivered twice).
   */
  upTo(position: number): T[] {
    const byRevision = new Map<number, T>();
    for (let i = 1; i <= this.capacity; i++) {
      const item = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (item !== undefined && item.revision <= position && !byRevision.has(item.revision)) {
        byRevision.set(item.revision, item);
      }
    }
    return [...byRevision.values()].sort((a, b) => b.revision - a.revision);
  }
}
