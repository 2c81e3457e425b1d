// The feeds one log-backed backend runs: core's followLog for each, one memory of what they delivered, all
// closed together. What every such backend would otherwise keep for itself (a set, a ring, the bookkeeping).
// Rules cited here: docs/semantics.md#rule-9.
import type { FeedSubscription } from "./backend.js";
import type { DeliveredChange } from "./delivery-print.js";
import { followLog, type LogFeedOptions } from "./log-feed.js";
import { RecentDeliveries } from "./recent-deliveries.js";

/**
 * The feeds of one backend over its log. Each is a {@link followLog}; all share one {@link RecentDeliveries},
 * so a feed the replica restarts proves the store still holds what the one before it delivered (rule 9).
 * A backend keeps one, starts its feeds with {@link LogFeeds.follow} in `subscribe`, and stops them with
 * {@link LogFeeds.close} in its own `close`.
 */
export class LogFeeds {
  private readonly running = new Set<FeedSubscription>();
  private readonly recent = new RecentDeliveries();

  /** Starts a feed (see {@link followLog}); it is forgotten once it stopped for good. */
  follow(options: Omit<LogFeedOptions, "recent" | "onStop">): FeedSubscription {
    const feed = followLog({ ...options, recent: this.recent, onStop: () => this.running.delete(feed) });
    this.running.add(feed);
    return feed;
  }

  /** How many feeds run now. */
  get size(): number {
    return this.running.size;
  }

  /** Stops every running feed. */
  async close(): Promise<void> {
    const feeds = [...this.running];
    this.running.clear();
    await Promise.all(feeds.map((feed) => feed.close()));
  }
}
