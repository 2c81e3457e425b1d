// A backend wrapper that interferes with the feed the way networks do — duplicates, replays, a late
// caught-up signal — so the suite can show the replica stays correct on top of the backend under test.
import type {
  BackendEntry,
  FeedPosition,
  FeedSink,
  FeedSubscription,
  LatticeBackend,
} from "@lattice-cache/core/backend";
import { ForwardingBackend } from "./forwarding-backend.js";

/** How a `TappedBackend` disturbs its feeds. */
export interface FeedTap {
  /** Deliver every entry twice. */
  readonly duplicate?: boolean;
  /** After each entry, deliver the entry before it again (an older replay). */
  readonly replayPrevious?: boolean;
  /** Hold `synced` (and everything after it) until `release()`. */
  readonly holdSynced?: boolean;
  /**
   * Called once, synchronously, right after the first entry of the first subscription was passed on — the
   * moment a snapshot is being delivered, for faults that must strike mid-snapshot.
   */
  readonly afterFirstEntry?: (entry: BackendEntry) => void;
}

/** Delegates everything to `inner`, except that feeds pass through the tap. */
export class TappedBackend extends ForwardingBackend {
  private readonly sinks = new Set<FeedSink>();
  private held: Array<() => void> | undefined;
  private subscriptions = 0;

  constructor(
    inner: LatticeBackend,
    private readonly tap: FeedTap = {},
  ) {
    super(inner);
    if (tap.holdSynced) this.held = [];
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    let previous: BackendEntry | undefined;
    let syncedSeen = false;
    let firstEntryHook = ++this.subscriptions === 1 ? this.tap.afterFirstEntry : undefined;
    // Once `synced` is held, everything after it waits too, so the order the backend chose is kept.
    const deliver = (fn: () => void) => {
      if (this.held && syncedSeen) this.held.push(fn);
      else fn();
    };
    const tapped: FeedSink = {
      entry: (entry) =>
        deliver(() => {
          sink.entry(entry);
          if (this.tap.duplicate) sink.entry(entry);
          if (this.tap.replayPrevious && previous) sink.entry(previous);
          previous = entry;
          const hook = firstEntryHook;
          firstEntryHook = undefined;
          hook?.(entry);
        }),
      synced: (head) => {
        syncedSeen = true;
        deliver(() => sink.synced(head));
      },
      gap: (reason) => deliver(() => sink.gap(reason)),
      connection: (connected, detail) => sink.connection(connected, detail),
      check: (reason) => sink.check?.(reason),
    };
    this.sinks.add(sink);
    const subscription = this.inner.subscribe(from, tapped);
    return {
      close: async () => {
        this.sinks.delete(sink);
        await subscription.close();
      },
    };
  }

  /** Lets held `synced` signals (and what followed them) through, and stops holding. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const fn of held) fn();
  }

  /** Delivers `entry` to every open feed, as if the backend had sent it (again). */
  inject(entry: BackendEntry): void {
    for (const sink of this.sinks) sink.entry(entry);
  }
}
