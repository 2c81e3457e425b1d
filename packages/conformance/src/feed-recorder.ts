// A FeedSink that records what a backend's feed delivers, for the tests of the backend seam itself.
import type { BackendEntry, BackendHead, FeedSink } from "@lattice-cache/core/backend";

/** Records entries, the `synced` head, gaps and connection changes of one subscription. */
export class FeedRecorder implements FeedSink {
  /** Every entry, in delivery order. */
  readonly entries: BackendEntry[] = [];
  /** Heads passed to `synced`, in order (a correct feed calls it once). */
  readonly syncedHeads: BackendHead[] = [];
  /** Reasons passed to `gap`. */
  readonly gaps: string[] = [];
  /** How many entries arrived before the first `synced`. */
  entriesBeforeSync: number | undefined;

  entry(entry: BackendEntry): void {
    this.entries.push(entry);
  }

  synced(head: BackendHead): void {
    this.syncedHeads.push(head);
    this.entriesBeforeSync ??= this.entries.length;
  }

  gap(reason: string): void {
    this.gaps.push(reason);
  }

  connection(): void {}

  /** Reasons passed to `check`. */
  readonly checks: string[] = [];

  check(reason: string): void {
    this.checks.push(reason);
  }

  /** The entries delivered before the first `synced` (the snapshot or replay). */
  get snapshot(): readonly BackendEntry[] {
    return this.entries.slice(0, this.entriesBeforeSync ?? this.entries.length);
  }

  /** The entries delivered after the first `synced` (live changes). */
  get live(): readonly BackendEntry[] {
    return this.entriesBeforeSync === undefined ? [] : this.entries.slice(this.entriesBeforeSync);
  }
}
