// Rules cited here: docs/semantics.md#rule-12.
import { describe, expect, it } from "vitest";
import { LegacySideLedger, TOMBSTONE } from "./legacy-side-ledger.js";

function ledger() {
  let now = 1_000;
  const l = new LegacySideLedger(30_000, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe("rule 12: which durable changes old hosts still need to hear", () => {
  it("a change to a value the old hosts hold needs no broadcast", () => {
    const { l } = ledger();
    l.heard("K", "v1");
    l.settled("K", "v1");
    expect(l.needsBroadcast("K", "v1", false)).toBe(false);
    expect(l.needsBroadcast("K", "v2", false)).toBe(true);
  });

  it("intermediate values of queued imports are not broadcast; the last one decides", () => {
    const { l } = ledger();
    l.heard("K", "v1");
    l.heard("K", "v2");
    expect(l.needsBroadcast("K", "v1", false)).toBe(false);
    expect(l.superseded("K", "v1")).toBe(true);
    expect(l.superseded("K", "v2")).toBe(false);
  });

  it("another bridge importing an older legacy value is not broadcast (no flapping between bridges)", () => {
    const { l } = ledger();
    l.heard("K", "v1");
    l.settled("K", "v1");
    l.heard("K", "v2");
    l.settled("K", "v2");
    expect(l.needsBroadcast("K", "v1", false)).toBe(false);
  });

  it("but our own import of a value the old hosts no longer hold is broadcast (they were told otherwise since)", () => {
    const { l } = ledger();
    l.heard("K", "v1");
    l.told("K", "x");
    l.beginWrite("K", "v1");
    expect(l.isOwnWrite("K", "v1")).toBe(true);
    expect(l.needsBroadcast("K", "v1", true)).toBe(true);
    l.endWrite("K");
    expect(l.isOwnWrite("K", "v1")).toBe(false);
  });

  it("a new host reverting to an old legacy value long after is broadcast", () => {
    const { l, advance } = ledger();
    l.heard("K", "v1");
    l.settled("K", "v1");
    l.heard("K", "v2");
    l.settled("K", "v2");
    advance(31_000);
    expect(l.needsBroadcast("K", "v1", false)).toBe(true);
  });

  it("what a bridge told the old hosts counts as held; so does a deletion", () => {
    const { l } = ledger();
    l.told("K", "d");
    expect(l.needsBroadcast("K", "d", false)).toBe(false);
    l.told("K", TOMBSTONE);
    expect(l.needsBroadcast("K", TOMBSTONE, false)).toBe(false);
    expect(l.needsBroadcast("K", "d", false)).toBe(true);
  });
});
