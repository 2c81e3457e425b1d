// For backends: what their feeds delivered and has not been proven since. A backend whose history can be
// rewritten without a new epoch (a stream renumbered by its server, a store restored from an older backup)
// compares these with what it holds at the same revisions; any difference means the replica must resync.
// The proof is tied to positions verified, not to a sliding window: the newest delivery a proof confirmed
// stays as the anchor, and every delivery after it is kept until a proof covers it, so a rewrite is found
// however many changes follow it (rule 9). A feed proves what it delivered at least every
// `VERIFY_EVERY_DELIVERIES` deliveries and on every audit. What is kept of each delivery is its print
// (delivery-print.ts), in typed arrays: no object per delivery outlives the young generation.
// Rules cited here: docs/semantics.md#rule-9.
import { type DeliveredChange, type DeliveryPrint, PrintSlots } from "./delivery-print.js";

/** How many unproven deliveries {@link RecentDeliveries} keeps unless told otherwise. */
export const DEFAULT_REMEMBERED_DELIVERIES = 1_000;

/** A log feed proves its deliveries once this many are unproven (and on every audit). */
export const VERIFY_EVERY_DELIVERIES = 256;

/** Slot of the anchor: the newest delivery a proof confirmed. */
const ANCHOR = 0;
/** Slot of the oldest unproven delivery: where a rewrite that began since the last proof shows first. */
const FIRST = 1;
/** The ring of the newest unproven deliveries after the first starts here. */
const RING = 2;

/**
 * What a backend's feeds delivered since the last proof, plus the anchor: the newest delivery a proof
 * confirmed. Noting is O(1) and allocates nothing. Shared by a backend's feeds, so a feed the replica
 * restarts knows what came before its position. Past `capacity` unproven deliveries, the oldest one is kept
 * and the ones after it are forgotten oldest first (a feed that proves in time never gets there).
 */
export class RecentDeliveries {
  /** Anchor, first, then the ring of `capacity - 1` slots. */
  private readonly slots: PrintSlots;
  private readonly ringSize: number;
  private next = 0;
  private count = 0;

  /** @param capacity - how many unproven deliveries are kept (at least 1) */
  constructor(readonly capacity = DEFAULT_REMEMBERED_DELIVERIES) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a whole number >= 1, got ${capacity}`);
    }
    this.ringSize = capacity - 1;
    this.slots = new PrintSlots(RING + this.ringSize);
  }

  /** How many deliveries are unproven. */
  get unproven(): number {
    return this.count;
  }

  /** Remembers a delivery as unproven. */
  note(change: DeliveredChange): void {
    if (this.slots.revisionAt(FIRST) === 0) {
      this.slots.set(FIRST, change);
    } else if (this.ringSize > 0) {
      this.slots.set(RING + this.next, change);
      this.next = (this.next + 1) % this.ringSize;
    }
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Forgets everything (a feed starting from an empty replica). */
  clear(): void {
    this.slots.clear(ANCHOR);
    this.forgetUnproven();
  }

  /**
   * The deliveries at or below revision `position` a proof must check — the unproven ones and the anchor —
   * newest revision first, one per revision (the one noted last, should a revision have been delivered twice).
   */
  upTo(position: number): DeliveryPrint[] {
    const byRevision = new Map<number, DeliveryPrint>();
    for (const slot of this.noted()) {
      const revision = this.slots.revisionAt(slot);
      if (revision <= position && !byRevision.has(revision)) {
        byRevision.set(revision, this.slots.get(slot) as DeliveryPrint);
      }
    }
    return [...byRevision.values()].sort((a, b) => b.revision - a.revision);
  }

  /**
   * What was delivered at exactly `revision` (the one noted last, should it have been delivered twice), or
   * undefined when nothing is remembered there. One pass, no sorting: a proof asks it for every revision.
   */
  at(revision: number): DeliveryPrint | undefined {
    for (const slot of this.noted())
      if (this.slots.revisionAt(slot) === revision) return this.slots.get(slot);
    return undefined;
  }

  /** The occupied slots, the one noted last first, then the oldest unproven, then the anchor. */
  private *noted(): IterableIterator<number> {
    for (let i = 1; i <= this.ringSize; i++) {
      const slot = RING + ((this.next - i + this.ringSize) % this.ringSize);
      if (this.slots.revisionAt(slot) !== 0) yield slot;
    }
    if (this.slots.revisionAt(FIRST) !== 0) yield FIRST;
    if (this.slots.revisionAt(ANCHOR) !== 0) yield ANCHOR;
  }

  /**
   * A proof confirmed what was delivered up to `revision`: the newest of those deliveries becomes the anchor,
   * and they are no longer unproven. Deliveries above `revision` stay unproven, in the order they came.
   */
  proven(revision: number): void {
    let newest = -1;
    for (const slot of this.noted()) {
      const at = this.slots.revisionAt(slot);
      if (at <= revision && (newest < 0 || at > this.slots.revisionAt(newest))) newest = slot;
    }
    if (newest < 0) return;
    const anchor = this.slots.revisionAt(ANCHOR);
    if (anchor === 0 || this.slots.revisionAt(newest) >= anchor) this.slots.copy(newest, ANCHOR);
    // The unproven deliveries above `revision`, oldest first: the first, then the ring from its oldest.
    const above: number[] = [];
    const first = this.slots.revisionAt(FIRST);
    if (first !== 0 && first > revision) above.push(FIRST);
    for (let i = this.count - 1; i >= 1; i--) {
      const slot = RING + ((this.next - i + this.ringSize) % this.ringSize);
      const at = this.slots.revisionAt(slot);
      if (at !== 0 && at > revision) above.push(slot);
    }
    if (above.length === 0) {
      this.forgetUnproven();
      return;
    }
    // Moved into a fresh layout through a scratch table: the slots they leave may be the ones they fill.
    const scratch = new PrintSlots(above.length);
    above.forEach((slot, i) => {
      scratch.copy(slot, i, this.slots);
    });
    this.forgetUnproven();
    for (let i = 0; i < above.length; i++) {
      const slot = this.count === 0 ? FIRST : RING + this.next;
      this.slots.copy(i, slot, scratch);
      if (this.count > 0) this.next = (this.next + 1) % this.ringSize;
      this.count += 1;
    }
  }

  private forgetUnproven(): void {
    this.slots.clear(FIRST);
    for (let i = 0; i < this.ringSize; i++) this.slots.clear(RING + i);
    this.next = 0;
    this.count = 0;
  }
}
