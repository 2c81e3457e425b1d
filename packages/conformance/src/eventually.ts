// Polling and deadlines. The suite runs on busy shared machines: it waits for conditions, never for fixed times.
import { AssertionError } from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { errorText } from "@lattice-cache/core";

/** How to poll. */
export interface PollOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between checks. Default 20 ms. */
  readonly intervalMs?: number;
  /** Extra facts for the failure message (current revisions, states, …). */
  readonly detail?: () => string;
}

/**
 * Resolves once `check` returns true; a check that throws counts as "not yet" and its error is reported if
 * time runs out.
 */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: PollOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = safeDetail(options.detail);
      const cause = lastError === undefined ? "" : `; last check threw: ${errorText(lastError)}`;
      throw new AssertionError({
        message: `timed out after ${options.timeoutMs} ms waiting until ${what}${detail}${cause}`,
      });
    }
    await sleep(options.intervalMs ?? 20);
  }
}

/** Rejects with an assertion error naming `what` when `promise` does not settle within `timeoutMs`. */
export async function withinDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AssertionError({ message: `${what} did not settle within ${timeoutMs} ms` })),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function safeDetail(detail: (() => string) | undefined): string {
  if (!detail) return "";
  try {
    return ` (${detail()})`;
  } catch (error) {
    return ` (detail unavailable: ${errorText(error)})`;
  }
}
