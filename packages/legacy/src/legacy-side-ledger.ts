// What a bridge knows of the legacy side, per key: which durable changes old hosts still need to hear, and
// which queued legacy messages a later one has superseded. This is what keeps two bridges from looping or
// flapping while both replay the same broadcasts onto one durable cache.

/** A value's identity (its canonical storage bytes, or the tombstone marker). */
export type Fingerprint = string;

/** The fingerprint of a deletion. */
export const TOMBSTONE: Fingerprint = "∅";

/** How long a value heard from old hosts counts as "theirs" when another bridge writes it to the durable side. */
export const DEFAULT_RECENT_MS = 30_000;
const RECENT_PER_KEY = 16;

/** The per-key bookkeeping of one bridge. */
export class LegacySideLedger {
  /** What old hosts hold now, as far as this bridge knows: last heard, or last broadcast by any bridge. */
  private readonly holds = new Map<string, Fingerprint>();
  /** The newest value heard from an old host (not from a bridge). */
  private readonly latestHeard = new Map<string, Fingerprint>();
  /** Values heard from old hosts lately, with when. */
  private readonly recent = new Map<string, Array<{ value: Fingerprint; at: number }>>();
  /** Legacy values queued for import, oldest first. */
  private readonly queued = new Map<string, Fingerprint[]>();
  /** The value this bridge is writing to the durable side right now. */
  private readonly writing = new Map<string, Fingerprint>();

  constructor(
    private readonly recentMs = DEFAULT_RECENT_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** An old host broadcast `value`; this bridge queues it for import. */
  heard(key: string, value: Fingerprint): void {
    this.holds.set(key, value);
    this.latestHeard.set(key, value);
    this.remember(key, value);
    const list = this.queued.get(key);
    if (list) list.push(value);
    else this.queued.set(key, [value]);
  }

  /** Old hosts reported `value` in a `.get` reply (start-up import). */
  reported(key: string, value: Fingerprint): void {
    this.holds.set(key, value);
    this.remember(key, value);
  }

  /** A bridge (this one or another) broadcast `value`: old hosts hold it now. */
  told(key: string, value: Fingerprint): void {
    this.holds.set(key, value);
  }

  /** The import of a queued `value` is done (written or skipped). */
  settled(key: string, value: Fingerprint): void {
    const list = this.queued.get(key);
    const at = list?.indexOf(value) ?? -1;
    if (!list || at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) this.queued.delete(key);
  }

  /** True when a later legacy message for the key has arrived: importing `value` would only be undone. */
  superseded(key: string, value: Fingerprint): boolean {
    return this.latestHeard.get(key) !== value;
  }

  /** Marks the durable write this bridge is making, so its change event is known as its own. */
  beginWrite(key: string, value: Fingerprint): void {
    this.writing.set(key, value);
  }

  /** Ends `beginWrite`. */
  endWrite(key: string): void {
    this.writing.delete(key);
  }

  /** True while this bridge is writing `value` under `key`: the change event is its own import. */
  isOwnWrite(key: string, value: Fingerprint): boolean {
    return this.writing.get(key) === value;
  }

  /**
   * Decides whether a durable change must be broadcast for old hosts to converge on it. `own`: the change
   * is this bridge's import (see `isOwnWrite`, taken when the change happened).
   */
  needsBroadcast(key: string, value: Fingerprint, own: boolean): boolean {
    // Later legacy messages for the key are queued: they decide what it ends as.
    const queue = this.queued.get(key);
    if (queue && queue[queue.length - 1] !== value) return false;
    if (this.holds.get(key) === value) return false;
    // Another bridge importing a value old hosts sent lately: they already have it, or a newer one that
    // is on its way to the durable side too. (Our own imports are judged by `holds` alone: old hosts
    // were told something else since.)
    if (!own && this.heardLately(key, value)) return false;
    return true;
  }

  private remember(key: string, value: Fingerprint): void {
    const at = this.now();
    const list = (this.recent.get(key) ?? []).filter((e) => e.value !== value && at - e.at <= this.recentMs);
    list.push({ value, at });
    if (list.length > RECENT_PER_KEY) list.shift();
    this.recent.set(key, list);
  }

  private heardLately(key: string, value: Fingerprint): boolean {
    const at = this.now();
    return this.recent.get(key)?.some((e) => e.value === value && at - e.at <= this.recentMs) ?? false;
  }
}
