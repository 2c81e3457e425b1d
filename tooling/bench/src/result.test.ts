import { describe, expect, it } from "vitest";
import { formatBaselines, formatTable, judge, latencyRows } from "./result.js";

const peer = { value: 200, does: "the hand-rolled peer" };
const bare = { value: 400, does: "the raw client alone" };

describe("benchmark rows: two baselines, the goal judged on the equal-work one", () => {
  it("carries baseline and bare with their ratios and what each does", () => {
    const row = judge({
      name: "write.put.c1",
      ours: 300,
      baseline: peer,
      bare,
      unit: "puts/s",
      goal: { kind: "ratio-at-least", value: 1 },
    });
    expect(row).toMatchObject({
      baseline: 200,
      ratio: 1.5,
      bare: 400,
      bareRatio: 0.75,
      baselineDoes: "the hand-rolled peer",
      bareDoes: "the raw client alone",
      goal: "≥ 1×",
      pass: true,
    });
  });

  it("judges the goal against the peer, never the bare client", () => {
    const row = judge({
      name: "hydrate.20k",
      ours: 150,
      baseline: peer,
      bare: { value: 100, does: "less work" },
      unit: "entries/s",
      goal: { kind: "ratio-at-least", value: 1 },
    });
    expect(row.bareRatio).toBe(1.5);
    expect(row.pass).toBe(false);
  });

  it("a row whose peer is already the minimum reports the baseline as bare too", () => {
    const row = judge({
      name: "read.get",
      ours: 1e6,
      baseline: peer,
      unit: "ops/s",
      goal: { kind: "ratio-at-least", value: 100 },
    });
    expect(row.bare).toBe(200);
    expect(row.bareRatio).toBe(row.ratio);
    expect(row.bareDoes).toBe("the same as the baseline");
  });

  it("latency rows take percentiles of each side's samples", () => {
    const [p50, p99] = latencyRows(
      "propagate",
      [1, 2, 3, 4],
      { baseline: { samples: [2, 2, 2, 2], does: "peer" }, bare: { samples: [1, 1, 1, 1], does: "bare" } },
      { p50: { kind: "ratio-at-most", value: 1.2 }, p99: { kind: "ratio-at-most", value: 1.5 } },
    );
    expect(p50).toMatchObject({ name: "propagate.p50", ours: 2, baseline: 2, bare: 1, ratio: 1, pass: true });
    expect(p99).toMatchObject({ name: "propagate.p99", ours: 4, ratio: 2, bareRatio: 4, pass: false });
  });

  it("the table shows both ratios, and rows with the same baselines share one line of description", () => {
    const rows = latencyRows(
      "propagate",
      [1],
      { baseline: { samples: [1], does: "10 raw views" }, bare: { samples: [1], does: "1 raw watch" } },
      { p50: { kind: "report" }, p99: { kind: "report" } },
    );
    const table = formatTable(rows);
    expect(table.split("\n")[0]).toMatch(/\| ratio .*\| bare .*\| bare ratio \|/);
    expect(formatBaselines(rows)).toBe(
      "- **propagate.p50 / .p99** — baseline: 10 raw views; bare: 1 raw watch",
    );
    const other = judge({
      name: "hydrate.20k",
      ours: 1,
      baseline: peer,
      unit: "x",
      goal: { kind: "report" },
    });
    expect(formatBaselines([...rows, other]).split("\n")).toEqual([
      "- **propagate.p50 / .p99** — baseline: 10 raw views; bare: 1 raw watch",
      "- **hydrate.20k** — baseline: the hand-rolled peer; bare: the same as the baseline",
    ]);
  });
});
