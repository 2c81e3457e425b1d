// The backdoor's `stallFeed` for any backend: a switch that makes its feeds stall silently — the "silent
// watch" failure. While stalled, the live entries a feed delivers after its `synced` never reach the replica,
// though the real feed (its connection, its heartbeats, its reports) keeps running; the replica's stall
// detection must notice and restart the feed (rule 9). A shipped backend has no such hook: a test subclass
// passes its sinks through the switch.
// Rules cited here: docs/semantics.md#rule-9.
import type { FeedSink } from "@lattice-cache/core/backend";

/**
 * Stalls the feeds whose sinks it wrapped: while {@link FeedStall.stalled} is true, every live entry (one
 * delivered after the feed's `synced`) is dropped; snapshot entries, `synced`, gaps, connection reports and
 * checks always pass. Switching it affects running feeds and feeds started later alike.
 *
 * A conformance target gets the rule-9 stalled-feed test by connecting a subclass of its backend that wraps
 * its sinks, and switching it from the backdoor:
 *
 * ```ts
 * import { FeedStall } from "@lattice-cache/conformance";
 *
 * class StallableEtcdBackend extends EtcdBackend {
 *   readonly stall = new FeedStall();
 *   override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
 *     return super.subscribe(from, this.stall.wrap(sink));
 *   }
 * }
 *
 * // in newStore(): connect: () => new StallableEtcdBackend(…), and in its backdoor:
 * stallFeed: async (backend, stalled) => {
 *   (backend as StallableEtcdBackend).stall.stalled = stalled;
 * },
 * ```
 */
export class FeedStall {
  /** While true, the wrapped feeds drop their live entries. Default false. */
  stalled = false;

  /** A sink that passes everything to `sink` except live entries while {@link FeedStall.stalled}. */
  wrap(sink: FeedSink): FeedSink {
    let synced = false;
    return {
      entry: (entry) => {
        if (!(synced && this.stalled)) sink.entry(entry);
      },
      synced: (head) => {
        synced = true;
        sink.synced(head);
      },
      gap: (reason) => sink.gap(reason),
      connection: (connected, detail) => sink.connection(connected, detail),
      check: (reason) => sink.check?.(reason),
    };
  }
}
