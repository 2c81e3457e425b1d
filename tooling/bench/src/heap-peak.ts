// The peak memory of a run: heapUsed + arrayBuffers (Buffers and typed arrays live outside the JavaScript heap),
// sampled by a timer and by the run itself (a synchronous loop starves timers), above where it started after
// forced collections.
import { settledHeap } from "./measure.js";

/** Timer samples apart (ms) while the run awaits. */
const SAMPLE_INTERVAL_MS = 20;
/** The run's own calls to {@link HeapPeak.tick} between two samples. */
const TICKS_PER_SAMPLE = 1024;

/** heapUsed + arrayBuffers now. */
function inUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** A peak sampler: start it just before the run, tick it from the run's loops, stop it just after. */
export class HeapPeak {
  private peak: number;
  private ticks = 0;
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly start: number) {
    this.peak = start;
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  /** Collects garbage (needs `--expose-gc`, which `pnpm bench` sets), then starts sampling. */
  static async start(): Promise<HeapPeak> {
    await settledHeap();
    return new HeapPeak(inUse());
  }

  /** Counts one step of the run; samples every {@link TICKS_PER_SAMPLE} steps. Bound: pass it as a callback. */
  readonly tick = (): void => {
    if (++this.ticks % TICKS_PER_SAMPLE === 0) this.sample();
  };

  /** Stops sampling; returns the peak above the start, in bytes. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak - this.start;
  }

  private sample(): void {
    const now = inUse();
    if (now > this.peak) this.peak = now;
  }
}
