// How long live changes take from the backend to this replica: the delay of each live change the feed
// brought, in a ring of the latest ones, summarized as percentiles for status and metrics.
// Rules cited here: docs/semantics.md#rule-10.

/** How many of the latest live changes the propagation delay is measured over. */
export const PROPAGATION_SAMPLES = 256;

/** Propagation delay over the latest live changes (see {@link PropagationStats}). */
export interface PropagationDelay {
  /** Live changes with a backend write time measured (at most `PROPAGATION_SAMPLES`). */
  readonly samples: number;
  /** Median delay in ms, or undefined with no samples. */
  readonly p50Ms: number | undefined;
  /** 99th percentile delay in ms, or undefined with no samples. */
  readonly p99Ms: number | undefined;
}

/**
 * The delays (ms) of the latest live changes, from when the backend stored them (`BackendEntry.writtenAt`, by
 * the backend's clock) to when the replica applied them. Snapshot entries and own writes applied on their
 * acknowledgement are not recorded.
 */
export class PropagationStats {
  private readonly delays: number[] = [];
  private next = 0;

  /** Records one delay; a negative one (clock skew) counts as 0, a non-finite one not at all. */
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const delay = Math.max(0, ms);
    if (this.delays.length < PROPAGATION_SAMPLES) this.delays.push(delay);
    else this.delays[this.next] = delay;
    this.next = (this.next + 1) % PROPAGATION_SAMPLES;
  }

  /** The median and 99th percentile of the recorded delays. */
  get delay(): PropagationDelay {
    const n = this.delays.length;
    if (n === 0) return { samples: 0, p50Ms: undefined, p99Ms: undefined };
    const sorted = [...this.delays].sort((a, b) => a - b);
    return { samples: n, p50Ms: nearestRank(sorted, 0.5), p99Ms: nearestRank(sorted, 0.99) };
  }
}

/** The nearest-rank percentile `q` (0–1) of ascending, non-empty `sorted`. */
function nearestRank(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}
