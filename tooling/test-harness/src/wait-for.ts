/** Options accepted by {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 20 000). */
  timeoutMs?: number;
  /** Pause between two attempts in milliseconds (default 100). */
  intervalMs?: number;
  /** Human readable description used in the timeout error (default "condition"). */
  what?: string;
}

/** A value {@link waitFor} treats as "not yet". */
type NotYet = undefined | false;

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_INTERVAL_MS = 100;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves `attempt` or `undefined` once `ms` elapse, whichever comes first, so that a hanging attempt
 * cannot stall the poll loop past its deadline.
 */
function withinDeadline<T>(attempt: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  return Promise.race([attempt, expired]).finally(() => clearTimeout(timer));
}

/**
 * Polls `fn` until it returns (or resolves to) something other than `undefined` or `false`, and resolves
 * with that value.
 *
 * An attempt that throws or rejects counts as "not yet"; its message is appended to the timeout error so
 * that a failing probe is still visible. When the deadline passes the returned promise rejects with
 * `Error("timed out after <timeoutMs>ms waiting for <what>")` (plus the last error, if any).
 */
export async function waitFor<T>(
  fn: () => Promise<T | NotYet> | T | NotYet,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  const what = opts.what ?? "condition";
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let sawError = false;
  for (;;) {
    try {
      const value = await withinDeadline(Promise.resolve().then(fn), deadline - Date.now());
      if (value !== undefined && value !== false) {
        return value as T;
      }
    } catch (error) {
      lastError = error;
      sawError = true;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const suffix = sawError ? ` (last error: ${describeError(lastError)})` : "";
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${suffix}`);
    }
    await delay(Math.min(intervalMs, remaining));
  }
}
