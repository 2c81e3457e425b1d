// The conflict rules of docs/semantics.md, numbered, in one place. The replica, the backends and the bridge call these.
// Rules cited here: docs/semantics.md#rule-1, #rule-3, #rule-4, #rule-5, #rule-6, #rule-12.
import { backoffDelay } from "./backoff.js";

/** What a store holds for one key, as far as the rules care. */
export interface KeyState {
  readonly revision: number;
  readonly deleted: boolean;
}

/**
 * Rule 1 (total order) and rule 3 (last writer wins, by revision): a change applies only when its
 * revision is higher than the key's current one; duplicates and replays are harmless.
 * Rule 6 follows: a tombstone has its own revision, so an older put never resurrects a deleted key.
 */
export function shouldApply(currentRevision: number | undefined, incomingRevision: number): boolean {
  return currentRevision === undefined || incomingRevision > currentRevision;
}

/**
 * Rule 4 (conditional writes): the revision a conditional write is compared against.
 * A missing or deleted key has revision 0.
 */
export function comparableRevision(state: KeyState | undefined): number {
  return state === undefined || state.deleted ? 0 : state.revision;
}

/**
 * Rule 4: does `expectedRevision` allow the write? `0` means "must not exist" (a deleted key does not
 * exist). A deleted key's tombstone revision is also accepted, as JetStream does.
 */
export function casAccepts(expectedRevision: number, state: KeyState | undefined): boolean {
  if (expectedRevision === comparableRevision(state)) return true;
  return state?.deleted === true && expectedRevision === state.revision;
}

/**
 * Rule 4 across histories: may a conditional write that expects `expectedRevision` of history
 * `expectedEpoch` be made in the history `currentEpoch`? A revision names a change only together with its
 * epoch: after a history is lost, revisions start over and revision N of the new history is another change
 * than revision N of the old one, so an expectation of N > 0 from the old history must never match it. An
 * expectation of 0 ("must not exist") or one without an epoch is not tied to a history.
 */
export function historyAccepts(
  expectedRevision: number | undefined,
  expectedEpoch: string | undefined,
  currentEpoch: string,
): boolean {
  if (expectedRevision === undefined || expectedRevision === 0 || expectedEpoch === undefined) return true;
  return expectedEpoch === currentEpoch;
}

/** Rule 5 (atomic edits): bounds of `update`'s optimistic retry loop. */
export interface UpdateRetryPolicy {
  /** Attempts before `update` gives up with a `ConflictError`. Default 100. */
  readonly maxAttempts: number;
  /** First backoff delay in ms. Default 1. */
  readonly baseDelayMs: number;
  /** Largest backoff delay in ms. Default 100. */
  readonly maxDelayMs: number;
}

/** The default `update` retry policy. */
export const DEFAULT_UPDATE_RETRY: UpdateRetryPolicy = { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 100 };

/**
 * Rule 5: the pause before attempt `attempt + 1` — exponential with full jitter, so many hosts contending
 * for one key spread out instead of colliding in lockstep.
 */
export function updateBackoffMs(
  attempt: number,
  policy: UpdateRetryPolicy,
  random: () => number = Math.random,
): number {
  // Core's backoff, one step further along (after attempt n the ceiling is baseDelayMs · 2^n), all of it random.
  const backoff = { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, jitter: 1 };
  return backoffDelay(attempt + 1, backoff, random);
}

/** Rule 12: how the migration bridge treats a legacy put. */
export type LegacyPolicy = "legacy-wins" | "durable-wins";

/** The legacy policies, for validation messages. */
export const LEGACY_POLICIES: readonly LegacyPolicy[] = ["legacy-wins", "durable-wins"];

/**
 * Rule 12: the expected revision the bridge writes a legacy put with: unconditional under `legacy-wins`,
 * create-only (`0`) under `durable-wins`.
 */
export function bridgeExpectedRevision(policy: LegacyPolicy): number | undefined {
  return policy === "durable-wins" ? 0 : undefined;
}
