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

  it("issue 22 item 3: keeps every unproven delivery however many follow, until a proof covers them", () => {
    const recent = new RecentDeliveries<ReturnType<typeof delivery>>();
    for (let revision = 1; revision <= 40; revision++) recent.note(delivery(revision));
    expect(recent.unproven).toBe(40);
    expect(recent.upTo(40).map((d) => d.revision)).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
  });

  it("a proof makes the newest delivery it covered the anchor; later deliveries stay unproven", () => {
    const recent = new RecentDeliveries<ReturnType<typeof delivery>>();
    for (let revision = 1; revision <= 10; revision++) recent.note(delivery(revision));
    recent.proven(7);
    expect(recent.unproven).toBe(3);
    expect(recent.upTo(10).map((d) => d.revision)).toEqual([10, 9, 8, 7]);
    for (let revision = 11; revision <= 500; revision++) recent.note(delivery(revision));
    // The anchor stays however many deliveries follow: a rewrite below it is still found.
    expect(recent.upTo(500).at(-1)?.revision).toBe(7);
  });

  it(`past its capacity (${DEFAULT_REMEMBERED_DELIVERIES} by default) it keeps the oldest unproven delivery and the newest`, () => {
    const five = new RecentDeliveries<ReturnType<typeof delivery>>(5);
    for (let revision = 1; revision <= 20; revision++) five.note(delivery(revision));
    expect(five.unproven).toBe(5);
    expect(five.upTo(20).map((d) => d.revision)).toEqual([20, 19, 18, 17, 1]);
    const one = new RecentDeliveries<ReturnType<typeof delivery>>(1);
    for (let revision = 1; revision <= 3; revision++) one.note(delivery(revision));
    expect(one.upTo(3).map((d) => d.revision)).toEqual([1]);
  });

  it("a revision delivered twice is listed once, as delivered last", () => {
    const recent = new RecentDeliveries<ReturnType<typeof delivery>>();
    recent.note(delivery(7, "first"));
    recent.note(delivery(7, "again"));
    expect(recent.upTo(7)).toEqual([delivery(7, "again")]);
    expect(recent.at(7)).toEqual(delivery(7, "again"));
    expect(recent.at(6)).toBeUndefined();
  });

  it("refuses a capacity below 1 with a RangeError", () => {
    expect(() => new RecentDeliveries(0)).toThrow(RangeError);
    expect(() => new RecentDeliveries(1.5)).toThrow(/whole number >= 1, got 1.5/);
  });
});
