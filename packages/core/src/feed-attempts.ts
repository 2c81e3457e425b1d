// The retry loop every resuming feed runs, held once: attempt after attempt until the feed stops; a failed
// attempt reports the feed's connection down with the failure's detail, is logged (a warning on the first
// failure and every 20th, so a store that stays away is neither silent nor noisy), and the next one waits a
// backoff pause that the feed can cut short (the connection is back, a restart was asked for). Used by
// `followLog` (pull stores) and `followWatch` (push-watch stores); the protocol's rules stay FeedProtocol's.
// Rules cited here: docs/semantics.md#rule-10.
import { Backoff, type BackoffPolicy } from "./backoff.js";
import { errorText } from "./error-text.js";
import type { FeedProtocol } from "./feed-protocol.js";
import type { Logger } from "./logger.js";

/** How a feed's attempts fail and retry. */
export interface FeedAttemptsOptions {
  /** Pauses between failed attempts. */
  readonly retry: BackoffPolicy;
  /** Turns a failure into the detail the replica sees (default: `errorText`). */
  readonly describeError?: (error: unknown) => string;
  /** The gap a failure stands for (the feed then ends with it, unretried), or undefined: retry. */
  readonly gapOf?: (error: unknown) => string | undefined;
  readonly logger: Logger;
  /** The debug line of a failed attempt that no warning names, e.g. `log feed interrupted`. */
  readonly interrupted: string;
}

/** Warn on the first failure in a row, then on every this many. */
const WARN_EVERY_FAILURES = 20;

/** The attempts of one feed (see the file comment). */
export class FeedAttempts {
  private readonly backoff: Backoff;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly protocol: FeedProtocol,
    private readonly options: FeedAttemptsOptions,
  ) {
    this.backoff = new Backoff(options.retry);
  }

  /**
   * Runs `attempt` again and again until the feed stops. An attempt that returns is followed by the next at
   * once; one that throws, after a backoff pause — unless the feed stopped, or the failure is a gap.
   */
  async run(attempt: () => Promise<void>): Promise<void> {
    while (!this.protocol.stopped) {
      try {
        await attempt();
      } catch (error) {
        if (this.protocol.stopped) return;
        const gap = this.options.gapOf?.(error);
        if (gap !== undefined) {
          this.protocol.gap(gap);
          return;
        }
        this.failed(error);
        await this.pause(this.backoff.next());
      }
    }
  }

  /** The attempt works (connected, caught up or watching): the next failure waits the first pause again. */
  succeeded(): void {
    this.backoff.reset();
  }

  /** Sleeps `ms` (forever when undefined), or less when {@link wake} is called or the feed stops. */
  pause(ms?: number): Promise<void> {
    if (this.protocol.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Cuts the current pause short (nothing when none is under way). */
  wake(): void {
    this.wakeUp?.();
  }

  private failed(error: unknown): void {
    const detail = (this.options.describeError ?? errorText)(error);
    this.protocol.report(false, detail);
    const failures = this.backoff.failures + 1;
    const fields = { err: error, attempts: failures, position: this.protocol.position };
    if (failures === 1 || failures % WARN_EVERY_FAILURES === 0) {
      this.options.logger.warn(fields, `${detail}; retrying`);
    } else {
      this.options.logger.debug(fields, this.options.interrupted);
    }
  }
}
