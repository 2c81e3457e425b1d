// A side of a transfer row, measured: its time and the peak of its heap (heap-peak.ts); and the two rows a pair
// of them makes — entries/s and peak heap, ours against the raw client's.
import { HeapPeak } from "./heap-peak.js";
import { type BenchResult, judge } from "./result.js";

/** One side's measured run: its time (ms), its peak heap above its start (bytes), the entries it did. */
export interface MeasuredRun {
  readonly ms: number;
  readonly peakBytes: number;
  readonly entries: number;
}

/** Runs `run` (handed the sampler's tick, for its loops) under a {@link HeapPeak} and a clock. */
export async function measureRun(run: (tick: () => void) => Promise<number>): Promise<MeasuredRun> {
  const heap = await HeapPeak.start();
  const started = performance.now();
  try {
    const entries = await run(heap.tick);
    return { ms: performance.now() - started, peakBytes: heap.stop(), entries };
  } finally {
    heap.stop();
  }
}

/** What the raw side of a pair of rows is. */
export interface RawSide {
  /** What it does (the `baseline:` line of the entries/s row). */
  readonly does: string;
  /** How the heap row's baseline names it: `peak heapUsed + arrayBuffers of <it>`. */
  readonly named: string;
}

/**
 * The `<name>` row (entries/s over `n` entries) and the `<name>.heap` row (peak MiB) of ours against the raw
 * side; report only.
 */
export function measuredRows(
  name: string,
  n: number,
  runs: { readonly ours: MeasuredRun; readonly raw: MeasuredRun },
  raw: RawSide,
  notes: string,
): BenchResult[] {
  const rate = (run: MeasuredRun) => n / (run.ms / 1000);
  const mib = (bytes: number) => bytes / 2 ** 20;
  return [
    judge({
      name,
      ours: rate(runs.ours),
      baseline: { value: rate(runs.raw), does: raw.does },
      unit: "entries/s",
      goal: { kind: "report" },
      notes,
    }),
    judge({
      name: `${name}.heap`,
      ours: mib(runs.ours.peakBytes),
      baseline: {
        value: mib(runs.raw.peakBytes),
        does: `peak heapUsed + arrayBuffers of ${raw.named}, above its start`,
      },
      unit: "MiB peak",
      goal: { kind: "report" },
      notes: "heapUsed + arrayBuffers, sampled during the run: the peak above the start (after gc)",
    }),
  ];
}
