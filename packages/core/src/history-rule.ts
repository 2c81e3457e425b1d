// Rule 9, the one test of a store's head against what is known of its history: another epoch means the
// history was lost; a head behind a revision already delivered means it was lost and revisions restarted.
// The feed protocol applies it to what a feed delivered, the replica's monitor to what the replica applied.
// Rules cited here: docs/semantics.md#rule-9.
import type { BackendHead } from "./backend.js";

/** What is known of a history: its epoch (once known) and a revision it is known to have reached. */
export interface KnownHistory {
  readonly epoch: string | undefined;
  readonly revision: number;
}

/**
 * Why `head` shows that the history `known` describes is gone, or undefined when it may go on.
 * @param store - names the store in the reason, e.g. `bucket LATTICEDATA_default`
 * @param reached - names who reached `known.revision`, e.g. `this feed's`
 */
export function historyBreak(
  head: BackendHead,
  known: KnownHistory,
  store: string,
  reached: string,
): string | undefined {
  if (known.epoch !== undefined && head.epoch !== known.epoch) {
    return `${store}'s history changed (epoch ${known.epoch} → ${head.epoch})`;
  }
  if (head.revision < known.revision) {
    return `${store} is at revision ${head.revision}, behind ${reached} revision ${known.revision}: history lost`;
  }
  return undefined;
}
