// A test-side jetstream backend whose feeds can be stalled silently — the "silent watch" failure: while
// stalled, the live entries a feed delivers after its `synced` never reach the replica, though the real feed
// (its consumer, its heartbeats, its connection reports) keeps running. The replica's stall detection must
// notice and restart the feed (rule 9). The shipped backend has no such hook: its sinks pass through the
// conformance suite's `FeedStall` here.
// Rules cited here: docs/semantics.md#rule-9.
import { FeedStall } from "@lattice-cache/conformance";
import type { FeedPosition, FeedSink, FeedSubscription } from "@lattice-cache/core/backend";
import { JetStreamBackend } from "./jetstream-backend.js";

/** A `JetStreamBackend` whose feeds {@link StallableJetStreamBackend.feedStall} stalls. */
export class StallableJetStreamBackend extends JetStreamBackend {
  /** While `stalled`, every feed of this backend (running or started later) drops its live entries. */
  readonly feedStall = new FeedStall();

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    return super.subscribe(from, this.feedStall.wrap(sink));
  }
}
