// What a backend's feeds remember of their last deliveries (used by the jetstream and log backends to prove, on
// a resume, that the history was not rewritten under the same epoch). Rule 9.
// Rules cited here: docs/semantics.md#rule-9.
import { describe, expect, it } from "vitest";
import { type DeliveredChange, printDifference, printOf } from "./delivery-print.js";
import { DEFAULT_REMEMBERED_DELIVERIES, RecentDeliveries } from "./recent-deliveries.js";

const text = new TextEncoder();
const delivery = (revision: number, label = ""): DeliveredChange => ({
  key: "CLAIMS_M",
  value: text.encode(`value ${label}`),
  revision,
  origin: "host-1",
});
const revisions = (recent: RecentDeliveries, position: number) =>
  recent.upTo(position).map((d) => d.revision);

describe("RecentDeliveries", () => {
  it("lists what was delivered at or below a position, newest revision first, and forgets it on clear", () => {
    const recent = new RecentDeliveries();
    expect(recent.upTo(10)).toEqual([]);
    recent.note(delivery(4));
    recent.note(delivery(6));
    recent.note(delivery(5));
    expect(revisions(recent, 6)).toEqual([6, 5, 4]);
    expect(revisions(recent, 5)).toEqual([5, 4]);
    recent.clear();
    expect(recent.upTo(6)).toEqual([]);
  });

  it("issue 22 item 3: keeps every unproven delivery however many follow, until a proof covers them", () => {
    const recent = new RecentDeliveries();
    for (let revision = 1; revision <= 40; revision++) recent.note(delivery(revision));
    expect(recent.unproven).toBe(40);
    expect(revisions(recent, 40)).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
  });

  it("a proof makes the newest delivery it covered the anchor; later deliveries stay unproven", () => {
    const recent = new RecentDeliveries();
    for (let revision = 1; revision <= 10; revision++) recent.note(delivery(revision));
    recent.proven(7);
    expect(recent.unproven).toBe(3);
    expect(revisions(recent, 10)).toEqual([10, 9, 8, 7]);
    for (let revision = 11; revision <= 500; revision++) recent.note(delivery(revision));
    // The anchor stays however many deliveries follow: a rewrite below it is still found.
    expect(recent.upTo(500).at(-1)?.revision).toBe(7);
    recent.proven(500);
    expect(recent.unproven).toBe(0);
    expect(revisions(recent, 600)).toEqual([500]);
  });

  it(`past its capacity (${DEFAULT_REMEMBERED_DELIVERIES} by default) it keeps the oldest unproven delivery and the newest`, () => {
    const five = new RecentDeliveries(5);
    for (let revision = 1; revision <= 20; revision++) five.note(delivery(revision));
    expect(five.unproven).toBe(5);
    expect(revisions(five, 20)).toEqual([20, 19, 18, 17, 1]);
    five.proven(18);
    expect(revisions(five, 20)).toEqual([20, 19, 18]);
    const one = new RecentDeliveries(1);
    for (let revision = 1; revision <= 3; revision++) one.note(delivery(revision));
    expect(revisions(one, 3)).toEqual([1]);
  });

  it("a revision delivered twice is listed once, as delivered last", () => {
    const recent = new RecentDeliveries();
    recent.note(delivery(7, "first"));
    recent.note(delivery(7, "again"));
    expect(recent.upTo(7)).toEqual([printOf(delivery(7, "again"))]);
    expect(recent.at(7)).toEqual(printOf(delivery(7, "again")));
    expect(recent.at(6)).toBeUndefined();
  });

  it("keeps a print of each delivery, not the delivery: bytes reused after noting change nothing kept", () => {
    const recent = new RecentDeliveries();
    const change = delivery(3, "a");
    const original = printOf(change);
    recent.note(change);
    (change.value as Uint8Array).fill(0);
    expect(recent.at(3)).toEqual(original);
    expect(printDifference(recent.at(3) as ReturnType<typeof printOf>, printOf(change))).toBe(
      "another value",
    );
  });

  it("refuses a capacity below 1 with a RangeError", () => {
    expect(() => new RecentDeliveries(0)).toThrow(RangeError);
    expect(() => new RecentDeliveries(1.5)).toThrow(/whole number >= 1, got 1.5/);
  });
});
