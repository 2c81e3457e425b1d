// A backend wrapper that answers late, as a slow network or a busy server does: its feeds deliver every
// call late but in order, and head() answers late with what the backend said when it was asked.
import type {
  BackendHead,
  FeedPosition,
  FeedSink,
  FeedSubscription,
  LatticeBackend,
} from "@lattice-cache/core/backend";
import { withinDeadline } from "./eventually.js";
import { ForwardingBackend } from "./forwarding-backend.js";

/** How late a `LaggingBackend` answers. */
export interface Lag {
  /** Every call of every feed's sink (entry, synced, gap, connection) arrives this many ms late, in order. Default 0. */
  readonly feedDelayMs?: number;
  /** head() resolves (or rejects) this many ms after the backend answered. Default 0. */
  readonly headDelayMs?: number;
}

/** Delegates everything to `inner`, late as `lag` says. */
export class LaggingBackend extends ForwardingBackend {
  private headCallWaiters: Array<() => void> = [];

  constructor(
    inner: LatticeBackend,
    private readonly lag: Lag,
  ) {
    super(inner);
  }

  /** Asks the backend now; the answer — true at the moment of asking — travels back `headDelayMs` late. */
  override head(): Promise<BackendHead> {
    const waiters = this.headCallWaiters;
    this.headCallWaiters = [];
    for (const wake of waiters) wake();
    const answer = this.inner.head();
    const delay = this.lag.headDelayMs ?? 0;
    if (delay <= 0) return answer;
    const late = () => new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
    return answer.then(
      async (head) => {
        await late();
        return head;
      },
      async (error: unknown) => {
        await late();
        throw error;
      },
    );
  }

  /** Resolves when head() is next called (a replica's stall check has just begun); fails after `timeoutMs`. */
  nextHeadCall(timeoutMs: number): Promise<void> {
    const called = new Promise<void>((resolve) => this.headCallWaiters.push(resolve));
    return withinDeadline(called, timeoutMs, "the next head() call");
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    const delay = this.lag.feedDelayMs ?? 0;
    if (delay <= 0) return this.inner.subscribe(from, sink);
    const line = new DelayLine(delay);
    const subscription = this.inner.subscribe(from, {
      entry: (entry) => line.push(() => sink.entry(entry)),
      synced: (head) => line.push(() => sink.synced(head)),
      gap: (reason) => line.push(() => sink.gap(reason)),
      connection: (connected, detail) => line.push(() => sink.connection(connected, detail)),
      check: (reason) => line.push(() => sink.check?.(reason)),
    });
    return {
      close: async () => {
        // What was still on its way belongs to a closed subscription: it never arrives.
        line.clear();
        await subscription.close();
      },
    };
  }
}

/** Runs each pushed call `delayMs` after it was pushed, strictly in push order, on one timer. */
class DelayLine {
  private readonly queue: Array<{ readonly due: number; readonly run: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly delayMs: number) {}

  push(run: () => void): void {
    this.queue.push({ due: Date.now() + this.delayMs, run });
    if (this.timer === undefined) this.arm();
  }

  clear(): void {
    this.queue.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const next = this.queue[0];
    if (next === undefined) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.due - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    try {
      while (this.queue.length > 0 && (this.queue[0]?.due ?? Number.POSITIVE_INFINITY) <= now) {
        this.queue.shift()?.run();
      }
    } finally {
      // A sink that throws surfaces as an uncaught error; the calls after it still arrive.
      this.arm();
    }
  }
}
