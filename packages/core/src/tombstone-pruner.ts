// Rule 6, bounded memory: a replica drops the tombstones older than its retention, now and then — every
// quarter of the retention, at most every 10 minutes — when the replica looks at itself.
// Rules cited here: docs/semantics.md#rule-6.
import type { ReplicaStore } from "./replica-store.js";

/** The default tombstone retention: 24 h. */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Drops a replica's old tombstones when due (see the file comment). */
export class TombstonePruner {
  private prunedAt = Date.now();

  /** @param retentionMs - how long tombstones are kept (ms, 0 = forever) */
  constructor(readonly retentionMs: number) {}

  /** Prunes `store` when a prune is due at `now` (ms epoch). */
  prune(store: ReplicaStore, now: number): void {
    const retention = this.retentionMs;
    if (retention <= 0 || now - this.prunedAt < Math.min(retention / 4, 600_000)) return;
    this.prunedAt = now;
    store.pruneTombstones(now - retention);
  }
}
