// How long a backend's open() may keep trying to connect (its `connectTimeoutMs`), and the one error it
// throws when nothing answered in time — for a backend that retries in a loop and for one whose client
// library retries by itself alike.
// Rules cited here: docs/semantics.md#rule-10.
import { BackendUnavailableError } from "./errors.js";

/** The deadline of one connection attempt of `open()`: `timeoutMs` from its creation. */
export class ConnectDeadline {
  /** When the deadline passes, in ms since the epoch. */
  readonly at: number;

  /**
   * @param backend - the backend's name, as its errors carry it (`redis`)
   * @param timeoutMs - how long the attempt may take (the backend's `connectTimeoutMs`)
   */
  constructor(
    private readonly backend: string,
    readonly timeoutMs: number,
  ) {
    this.at = Date.now() + timeoutMs;
  }

  /** True when a pause of `pauseMs` from now would end at or after the deadline: time to give up. */
  passedAfter(pauseMs = 0): boolean {
    return Date.now() + pauseMs >= this.at;
  }

  /** Calls `passed` when the deadline passes; the returned function cancels that (call it once connected). */
  whenPassed(passed: () => void): () => void {
    const timer = setTimeout(passed, Math.max(0, this.at - Date.now()));
    return () => clearTimeout(timer);
  }

  /**
   * The error of an `open()` that reached nothing in time: `BackendUnavailableError` "no connection to
   * `target` within `timeoutMs` ms", with `why` (the last error's text) when known.
   * @param target - where it tried to connect, without secrets (a redacted URL)
   */
  unavailable(target: string, why?: string, cause?: unknown): BackendUnavailableError {
    return new BackendUnavailableError(
      this.backend,
      `no connection to ${target} within ${this.timeoutMs} ms${why === undefined ? "" : `: ${why}`}`,
      cause === undefined ? undefined : { cause },
    );
  }
}
