// The feed protocol's rules, one spec each (rules 1, 8, 9, 10), on a recording sink.
// Rules cited here: docs/semantics.md#rule-1, #rule-8, #rule-9, #rule-10.
import { describe, expect, it } from "vitest";
import type { BackendEntry, BackendHead, FeedPosition, FeedSink } from "./backend.js";
import { Backoff, backoffDelay } from "./backoff.js";
import { type DeliveredChange, printOf } from "./delivery-print.js";
import { FeedProtocol, rewriteOf } from "./feed-protocol.js";
import { silentLogger } from "./logger.js";
import { RecentDeliveries } from "./recent-deliveries.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const change = (
  revision: number,
  key = `CLAIMS_M${revision}`,
  value: string | null = `v${revision}`,
): DeliveredChange => ({
  key,
  value: value === null ? null : bytes(value),
  revision,
});

function recorder() {
  const calls: string[] = [];
  const sink: FeedSink = {
    entry: (e: BackendEntry) => calls.push(`entry ${e.revision}`),
    synced: (h: BackendHead) => calls.push(`synced ${h.revision} ${h.epoch}`),
    gap: (reason) => calls.push(`gap ${reason}`),
    connection: (up, detail) => calls.push(`connection ${up} ${detail ?? ""}`.trim()),
    check: (reason) => calls.push(`check ${reason}`),
  };
  return { calls, sink };
}

function protocol(from: FeedPosition, recent = new RecentDeliveries()) {
  const { calls, sink } = recorder();
  const feed = new FeedProtocol({ from, sink, recent, store: "the store", logger: silentLogger });
  return { feed, calls, recent };
}

describe("FeedProtocol", () => {
  it("rule 9: a resume in another history than the replica's is a gap, before anything is delivered", () => {
    const { feed, calls } = protocol({ revision: 5, epoch: "A" });
    expect(feed.acceptHead({ revision: 9, epoch: "B" })).toBe(false);
    expect(calls).toEqual(["gap the store's history changed (epoch A → B)"]);
    feed.liveEntry(change(6), change(6));
    feed.markSynced(9);
    expect(calls).toHaveLength(1);
  });

  it("rule 9: a history that changes during a snapshot is a gap, never a snapshot restarted in place", () => {
    const { feed, calls } = protocol({ revision: 0 });
    expect(feed.acceptHead({ revision: 300, epoch: "old" })).toBe(true);
    feed.snapshotEntry(change(1), change(1));
    expect(feed.acceptHead({ revision: 60, epoch: "new" })).toBe(false);
    expect(calls.at(-1)).toBe("gap the store's history changed (epoch old → new)");
    expect(feed.stopped).toBe(true);
  });

  it("rule 9: a store behind the feed's position lost history", () => {
    const { feed, calls } = protocol({ revision: 10, epoch: "A" });
    expect(feed.acceptHead({ revision: 4, epoch: "A" })).toBe(false);
    expect(calls[0]).toMatch(/at revision 4, behind this feed's revision 10: history lost/);
  });

  it("rule 9: a head read before later deliveries is compared with the position it was asked at", () => {
    const { feed, calls } = protocol({ revision: 5, epoch: "A" });
    const asOf = feed.position;
    feed.liveEntry(change(6), change(6));
    expect(feed.acceptHead({ revision: 5, epoch: "A" }, asOf)).toBe(true);
    expect(feed.acceptHead({ revision: 5, epoch: "A" })).toBe(false);
    expect(calls.at(-1)).toMatch(/behind this feed's revision 6/);
  });

  it("rule 9: another change at a delivered revision proves a rewritten history; the same change proves nothing wrong", () => {
    const recent = new RecentDeliveries();
    const first = protocol({ revision: 0 }, recent);
    first.feed.acceptHead({ revision: 0, epoch: "A" });
    first.feed.markSynced(0);
    for (let r = 1; r <= 3; r++) first.feed.liveEntry(change(r), change(r));
    const resumed = protocol({ revision: 3, epoch: "A" }, recent);
    expect(resumed.feed.proofRevisions()).toEqual([3, 2, 1]);
    expect(resumed.feed.proofStart()).toBe(1);
    expect(resumed.feed.checkStored(2, change(2))).toBe(true);
    expect(resumed.feed.checkStored(1, undefined)).toBe(true);
    expect(resumed.feed.checkStored(3, change(3, "CLAIMS_M3", "other"))).toBe(false);
    expect(resumed.calls).toEqual([
      "gap the history was rewritten: revision 3 was delivered as a change of 2 bytes; the store now holds CLAIMS_M3 (5 bytes) there (another value)",
    ]);
  });

  it("rule 9: a snapshot is proven by its newest change, noted once when the feed syncs (pushed or read)", () => {
    const pushed = protocol({ revision: 0 });
    pushed.feed.acceptHead({ revision: 50, epoch: "A" });
    for (let r = 1; r <= 50; r++) pushed.feed.liveEntry(change(r), change(r));
    expect(pushed.recent.unproven).toBe(0);
    pushed.feed.markSynced(50);
    expect(pushed.recent.upTo(50).map((d) => d.revision)).toEqual([50]);
    pushed.feed.liveEntry(change(51), change(51));
    expect(pushed.recent.upTo(51).map((d) => d.revision)).toEqual([51, 50]);

    const read = protocol({ revision: 0 });
    read.feed.acceptHead({ revision: 9, epoch: "A" });
    for (const r of [4, 9, 2]) read.feed.snapshotEntry(change(r), change(r));
    read.feed.markSynced(9);
    expect(read.recent.upTo(9)).toEqual([printOf(change(9))]);
  });

  it("rule 1: replays at or below the position are ignored; a jump in a contiguous log is a gap", () => {
    const { feed, calls } = protocol({ revision: 2, epoch: "A" });
    expect(feed.liveEntry(change(2), change(2))).toBe(false);
    expect(feed.liveEntry(change(3), change(3), true)).toBe(true);
    expect(feed.liveEntry(change(5), change(5), true)).toBe(false);
    expect(calls).toEqual([
      "entry 3",
      "gap the store jumps from revision 3 to 5: changes in between are gone",
    ]);
  });

  it("rule 8: synced is reported once, with the feed's epoch and at least its position", () => {
    const { feed, calls } = protocol({ revision: 0 });
    feed.acceptHead({ revision: 2, epoch: "E" });
    feed.snapshotEntry(change(2), change(2));
    feed.markSynced(2);
    feed.markSynced(7);
    expect(calls).toEqual(["entry 2", "synced 2 E"]);
  });

  it("rule 10: connection states are reported once per change; a delivery after 'down' reports 'up'", () => {
    const { feed, calls } = protocol({ revision: 0 });
    feed.report(false, "refused");
    feed.report(false, "refused again");
    feed.snapshotEntry(change(1), change(1));
    feed.report(true, "connected");
    expect(calls).toEqual(["connection false refused", "connection true the feed delivers again", "entry 1"]);
  });

  it("rewriteOf names what differs from the delivery's print: key, operation, writer, write id, value", () => {
    const base: DeliveredChange = { key: "K", value: bytes("a"), revision: 1, origin: "h1", writeId: "w1" };
    const delivered = printOf(base);
    expect(rewriteOf(delivered, { ...base })).toBeUndefined();
    expect(rewriteOf(delivered, { ...base, key: "L" })).toMatch(/another key/);
    expect(rewriteOf(delivered, { ...base, value: null })).toMatch(/another operation/);
    expect(rewriteOf(delivered, { ...base, origin: "h2" })).toMatch(/another writer/);
    expect(rewriteOf(delivered, { ...base, writeId: "w2" })).toMatch(/another write/);
    expect(rewriteOf(delivered, { ...base, value: bytes("ab") })).toMatch(/another value/);
    // Without a write id the bytes themselves are compared; with one, the id names them (and their length).
    const { writeId: _, ...anonymous } = base;
    expect(rewriteOf(printOf(anonymous), { ...anonymous, value: bytes("b") })).toMatch(/another value/);
    expect(rewriteOf(printOf(anonymous), { ...anonymous })).toBeUndefined();
  });
});

describe("backoff", () => {
  it("doubles from the base to the cap, with jitter taking at most its share", () => {
    const policy = { baseMs: 1000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, policy))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(backoffDelay(3, { ...policy, jitter: 0.5 }, () => 1)).toBe(2000);
    expect(backoffDelay(3, { ...policy, jitter: 0.5 }, () => 0)).toBe(4000);
    const retry = new Backoff({ baseMs: 10, maxMs: 40 });
    expect([retry.next(), retry.next(), retry.next(), retry.next()]).toEqual([10, 20, 40, 40]);
    retry.reset();
    expect(retry.next()).toBe(10);
  });

  it("rule 9: a push transport's replay that reaches the position with every delivery matching proves them", () => {
    const recent = new RecentDeliveries();
    for (let revision = 1; revision <= 5; revision++) recent.note(change(revision));
    const { feed, calls } = protocol({ revision: 5, epoch: "E" }, recent);
    feed.replayingProof();
    for (let revision = 1; revision <= 4; revision++)
      expect(feed.checkStored(revision, change(revision))).toBe(true);
    expect(feed.unproven).toBe(5);
    expect(feed.checkStored(5, change(5))).toBe(true);
    expect(feed.unproven).toBe(0);
    expect(feed.proofStart()).toBe(5);
    expect(calls.filter((c) => c.startsWith("gap"))).toEqual([]);
  });

  it("rule 9: a replay that skips the position's change is proven by the first change after it", () => {
    const recent = new RecentDeliveries();
    for (let revision = 1; revision <= 3; revision++) recent.note(change(revision));
    const { feed } = protocol({ revision: 3, epoch: "E" }, recent);
    feed.replayingProof();
    feed.checkStored(1, change(1));
    expect(feed.unproven).toBe(3);
    feed.liveEntry(change(4), change(4));
    expect(feed.unproven).toBe(1);
  });
});
