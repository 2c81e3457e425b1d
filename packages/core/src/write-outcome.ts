// What a write and an update resolve with: shared by the write path (write-coordinator.ts) and the typed
// collections (collection-handle.ts), which re-exports them.
// Rules cited here: docs/semantics.md#rule-7.

/** What a successful write returns. */
export interface WriteOutcome {
  /** The storage key written. */
  readonly key: string;
  /** The revision the backend assigned; the local replica has applied it (rule 7). */
  readonly revision: number;
}

/** The result of `update`: the value now stored (undefined if deleted or absent) and its revision. */
export interface UpdateOutcome<V> {
  readonly key: string;
  readonly value: V | undefined;
  /** The revision written, or the unchanged current revision when the function returned `undefined`. */
  readonly revision: number;
  /** Attempts made (1 when there was no conflict). */
  readonly attempts: number;
  /** False when the function returned `undefined` and nothing was written. */
  readonly written: boolean;
}
