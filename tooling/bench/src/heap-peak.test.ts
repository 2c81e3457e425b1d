import { describe, expect, it } from "vitest";
import { HeapPeak } from "./heap-peak.js";
import { measuredRows } from "./measured-run.js";

const MiB = 2 ** 20;

describe("HeapPeak: the peak of heap and buffers during a run, above its start", () => {
  it("counts what the run held at its peak, even when freed before the end", async () => {
    const peak = await HeapPeak.start();
    let held: ArrayBuffer | undefined = new ArrayBuffer(64 * MiB);
    new Uint8Array(held).fill(1);
    // The run ticks it from its loop: every 1024 ticks take a sample, timers or not.
    for (let i = 0; i < 1024; i++) peak.tick();
    held = undefined;
    expect(held).toBeUndefined();
    expect(peak.stop()).toBeGreaterThanOrEqual(64 * MiB);
  });

  it("a pair of measured runs makes an entries/s row and a heap row in MiB, for the table only", () => {
    const ours = { ms: 2000, peakBytes: 10 * MiB, entries: 1000 };
    const raw = { ms: 1000, peakBytes: 40 * MiB, entries: 1000 };
    const [rate, heap] = measuredRows(
      "export.1k",
      1000,
      { ours, raw },
      { does: "a replay", named: "that replay" },
      "n",
    );
    expect(rate).toMatchObject({
      name: "export.1k",
      ours: 500,
      baseline: 1000,
      ratio: 0.5,
      unit: "entries/s",
    });
    expect(heap).toMatchObject({
      name: "export.1k.heap",
      ours: 10,
      baseline: 40,
      ratio: 0.25,
      unit: "MiB peak",
      goal: "report",
      pass: true,
      baselineDoes: "peak heapUsed + arrayBuffers of that replay, above its start",
    });
  });
});
