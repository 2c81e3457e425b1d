// Exponential backoff with jitter, for anything that retries: feed restarts, reconnections, re-subscribes.

/** Bounds of an exponential backoff. */
export interface BackoffPolicy {
  /** The first delay in ms. */
  readonly baseMs: number;
  /** The largest delay in ms. */
  readonly maxMs: number;
  /**
   * How much of each delay is random, 0..1: `0.5` waits between half and all of it, so many hosts that
   * failed together do not retry in lockstep. Default 0 (the delays are exact).
   */
  readonly jitter?: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): `baseMs · 2^(attempt-1)`, capped at
 * `maxMs`, less up to `jitter` of it at random.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jitter = Math.min(Math.max(policy.jitter ?? 0, 0), 1);
  return Math.round(ceiling * (1 - jitter * random()));
}

/** A retry counter: each `next()` is the following delay of `policy`; `reset()` after a success. */
export class Backoff {
  private attempts = 0;

  constructor(
    readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempts;
  }

  /** Counts one more failure and returns how long to wait before the next attempt. */
  next(): number {
    this.attempts += 1;
    return backoffDelay(this.attempts, this.policy, this.random);
  }

  /** Back to the first delay. */
  reset(): void {
    this.attempts = 0;
  }
}
