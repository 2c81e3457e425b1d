// For backends: what their feeds delivered and has not been proven since. A backend whose history can be
// rewritten without a new epoch (a stream renumbered by its server, a store restored from an older backup)
// compares these with what it holds at the same revisions; any difference means the replica must resync.
// The proof is tied to positions verified, not to a sliding window: the newest delivery a proof confirmed
// stays as the anchor, and every delivery after it is kept until a proof covers it, so a rewrite is found
// however many changes follow it (rule 9). A feed proves what it delivered at least every
// `VERIFY_EVERY_DELIVERIES` deliveries and on every audit.
// Rules cited here: docs/semantics.md#rule-9.

/** How many unproven deliveries {@link RecentDeliveries} keeps unless told otherwise. */
export const DEFAULT_REMEMBERED_DELIVERIES = 1_000;

/** A log feed proves its deliveries once this many are unproven (and on every audit). */
export const VERIFY_EVERY_DELIVERIES = 256;

/**
 * What a backend's feeds delivered since the last proof, plus the anchor: the newest delivery a proof
 * confirmed. Noting is O(1) and keeps a reference, no copy. Shared by a backend's feeds, so a feed the
 * replica restarts knows what came before its position. Past `capacity` unproven deliveries, the oldest one
 * is kept and the ones after it are forgotten oldest first (a feed that proves in time never gets there).
 */
export class RecentDeliveries<T extends { readonly revision: number }> {
  private anchor: T | undefined;
  /** The oldest unproven delivery: where a rewrite that began since the last proof shows first. */
  private first: T | undefined;
  /** The unproven deliveries after `first`, newest `capacity - 1` in a ring. */
  private readonly ring: (T | undefined)[];
  private next = 0;
  private count = 0;

  /** @param capacity - how many unproven deliveries are kept (at least 1) */
  constructor(readonly capacity = DEFAULT_REMEMBERED_DELIVERIES) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a whole number >= 1, got ${capacity}`);
    }
    this.ring = new Array(Math.max(0, capacity - 1));
  }

  /** How many deliveries are unproven. */
  get unproven(): number {
    return this.count;
  }

  /** Remembers a delivery as unproven. */
  note(item: T): void {
    if (this.first === undefined) {
      this.first = item;
    } else if (this.ring.length > 0) {
      this.ring[this.next] = item;
      this.next = (this.next + 1) % this.ring.length;
    }
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Forgets everything (a feed starting from an empty replica). */
  clear(): void {
    this.anchor = undefined;
    this.first = undefined;
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }

  /**
   * The deliveries at or below revision `position` a proof must check — the unproven ones and the anchor —
   * newest revision first, one per revision (the one noted last, should a revision have been delivered twice).
   */
  upTo(position: number): T[] {
    const byRevision = new Map<number, T>();
    for (const item of this.noted()) {
      if (item.revision <= position && !byRevision.has(item.revision)) byRevision.set(item.revision, item);
    }
    return [...byRevision.values()].sort((a, b) => b.revision - a.revision);
  }

  /**
   * What was delivered at exactly `revision` (the one noted last, should it have been delivered twice), or
   * undefined when nothing is remembered there. One pass, no sorting: a proof asks it for every revision.
   */
  at(revision: number): T | undefined {
    for (const item of this.noted()) if (item.revision === revision) return item;
    return undefined;
  }

  /** Every remembered delivery, the one noted last first, then the oldest unproven, then the anchor. */
  private *noted(): IterableIterator<T> {
    for (let i = 1; i <= this.ring.length; i++) {
      const item = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (item !== undefined) yield item;
    }
    if (this.first !== undefined) yield this.first;
    if (this.anchor !== undefined) yield this.anchor;
  }

  /**
   * A proof confirmed what was delivered up to `revision`: the newest of those deliveries becomes the anchor,
   * and they are no longer unproven. Deliveries above `revision` stay unproven.
   */
  proven(revision: number): void {
    const checked = this.upTo(revision);
    const newest = checked[0];
    if (newest === undefined) return;
    if (this.anchor === undefined || newest.revision >= this.anchor.revision) this.anchor = newest;
    const above: T[] = [];
    for (let i = this.count - 1; i >= 1; i--) {
      const item = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (item !== undefined && item.revision > revision) above.push(item);
    }
    if (this.first !== undefined && this.first.revision > revision) above.unshift(this.first);
    this.first = undefined;
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
    for (const item of above) this.note(item);
  }
}
