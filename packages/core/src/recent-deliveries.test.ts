// What a backend's feeds remember of their last deliveries (used by the jetstream and redis backends to prove,
// on a resume, that the history was not rewritten under the same epoch).
import { describe, expect, it } from "vitest";
import { DEFAULT_REMEMBERED_DELIVERIES, RecentDeliveries } from "./recent-deliveries.js";

const delivery = (revision: number, label = "") => ({ revision, label });

describe("RecentDeliveries", () => {
  it("lists what was delivered at or below a position, newest revision first, and forgets it on clear", () => {
    const recent = new RecentDeliveries<ReturnType<typeof delivery>>();
    expect(recent.upTo(10)).toEqual([]);
    recent.note(delivery(4));
    recent.note(delivery(6));
    recent.note(delivery(5));
    expect(recent.upTo(6).map((d) => d.revision)).toEqual([6, 5, 4]);
    expect(recent.upTo(5).map((d) => d.revision)).toEqual([5, 4]);
    recent.clear();
    expect(recent.upTo(6)).toEqual([]);
  });

  it(`keeps the last ${DEFAULT_REMEMBERED_DELIVERIES} by default, or as many as asked`, () => {
    const recent = new RecentDeliveries<ReturnType<typeof delivery>>();
    for (let revision = 1; revision <= 40; revision++) recent.note(delivery(revision));
    const kept = recent.upTo(40).map((d) => d.revision);
    expect(kept).toHaveLength(DEFAULT_REMEMBERED_DELIVERIES);
    expect(kept[0]).toBe(40);
    expect(kept.at(-1)).toBe(40 - DEFAULT_REMEMBERED_DELIVERIES + 1);

    const two = new RecentDeliveries<ReturnType<typeof delivery>>(2);
    for (let revision = 1; revision <= 5; revision++) two.note(delivery(revision));
    expect(two.upTo(5).map((d) => d.revision)).toEqual([5, 4]);
  });

  it("a revision delivered twice is listed once, as delivered last", () => {
    const recent = new RecentDeliveries<ReturnType<typeof delivery>>();
    recent.note(delivery(7, "first"));
    recent.note(delivery(7, "again"));
    expect(recent.upTo(7)).toEqual([delivery(7, "again")]);
  });

  it("refuses a capacity below 1 with a RangeError", () => {
    expect(() => new RecentDeliveries(0)).toThrow(RangeError);
    expect(() => new RecentDeliveries(1.5)).toThrow(/whole number >= 1, got 1.5/);
  });
});
