// A test-side jetstream backend whose feeds can be stalled silently — the "silent watch" failure: while
// stalled, the live entries a feed delivers after its `synced` never reach the replica, though the real feed
// (its consumer, its heartbeats, its connection reports) keeps running. The replica's stall detection must
// notice and restart the feed (rule 9). The shipped backend has no such hook: the sink is wrapped here.
// Rules cited here: docs/semantics.md#rule-9.
import type { FeedPosition, FeedSink, FeedSubscription } from "@lattice-cache/core/backend";
import { JetStreamBackend } from "./jetstream-backend.js";

/** A `JetStreamBackend` with {@link StallableJetStreamBackend.stallFeeds}. */
export class StallableJetStreamBackend extends JetStreamBackend {
  #stalled = false;

  /** While `true`, every feed of this backend (running or started later) drops its live entries. */
  stallFeeds(stalled: boolean): void {
    this.#stalled = stalled;
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    let synced = false;
    return super.subscribe(from, {
      entry: (entry) => {
        if (!(synced && this.#stalled)) sink.entry(entry);
      },
      synced: (head) => {
        synced = true;
        sink.synced(head);
      },
      gap: (reason) => sink.gap(reason),
      connection: (connected, detail) => sink.connection(connected, detail),
      check: (reason) => sink.check?.(reason),
    });
  }
}
