// What a replica holds and how it changes: the current store (replaced wholesale by a resync), the revision
// and history it has reached, the readable view once the initial sync is done, applying changes with their
// events, and counting the invalid ones. Which changes reach it, and when, is the feed reflector's and the
// own-write path's business; the view only applies them.
// Rules cited here: docs/semantics.md#rule-1, #rule-8, #rule-9, #rule-11.
import type { BackendEntry, BackendHead } from "./backend.js";
import type { LatticeChange } from "./change-event.js";
import { errorText } from "./error-text.js";
import type { Logger } from "./logger.js";
import { type ApplyOutcome, ReplicaStore } from "./replica-store.js";
import type { WatchHub } from "./watch-hub.js";

/** Counters a replica keeps for status and metrics. */
export interface ReplicaCounters {
  /** Changes applied from the feed (and own writes). */
  appliedChanges: number;
  /** Values that failed validation and were skipped (rule 11). */
  invalidEntries: number;
  /** Full resyncs after gaps or lost history (rule 9). */
  resyncs: number;
  /** Feed restarts after a stall (rule 9). */
  feedRestarts: number;
}

/** Keys logged as invalid at most, so a flood of bad values cannot grow the set without bound. */
const MAX_LOGGED_INVALID = 10_000;

/** A replica's materialized view (see the file comment). */
export class ReplicaView {
  /** Counters for status and metrics. */
  readonly counters: ReplicaCounters = { appliedChanges: 0, invalidEntries: 0, resyncs: 0, feedRestarts: 0 };
  /** The current store. Replaced wholesale by a resync. */
  store = new ReplicaStore();
  /**
   * The store reads are served from: undefined until the initial sync completes (rule 8). A plain field,
   * not a getter, because every read goes through it.
   */
  readable: ReplicaStore | undefined;
  /** The highest revision applied (or known to be held: a synced head). */
  revision = 0;
  /** The history `revision` belongs to, once synced. */
  epoch: string | undefined;
  private readonly loggedInvalid = new Set<string>();

  constructor(
    /** Where change events go. */
    readonly hub: WatchHub,
    private readonly logger: Logger,
    /** Called after a change in revision order was applied (lag marks, read-your-writes waiters). */
    private readonly onAdvance: () => void,
  ) {}

  /** True once the initial sync completed (rule 8). */
  get ready(): boolean {
    return this.readable !== undefined;
  }

  /** A change in revision order (from the feed, or an own write that is the next revision). */
  applyLive(entry: BackendEntry, decoded?: unknown): void {
    if (entry.revision > this.revision) this.revision = entry.revision;
    this.applyOutcome(entry, this.store.apply(entry, decoded));
    this.onAdvance();
  }

  /** An own write applied before the feed brought it: the key changes, the revision reached does not. */
  applyOwn(entry: BackendEntry, decoded?: unknown): void {
    this.applyOutcome(entry, this.store.apply(entry, decoded));
  }

  /** One change of a snapshot being staged (no event: the staged store is diffed when complete). */
  stage(staging: ReplicaStore, entry: BackendEntry): void {
    const outcome = staging.load(entry);
    if (outcome.kind === "invalid") this.reportInvalid(entry, outcome.error);
  }

  /**
   * The feed synced at `head`: a staged store (a snapshot) becomes the view, or the revision moves up to the
   * head. Returns the events that turn the old view into the new one, for {@link publish}.
   */
  adopt(staging: ReplicaStore | undefined, head: BackendHead): LatticeChange[] {
    let events: LatticeChange[] = [];
    if (staging) {
      events = this.store.diffTo(staging);
      this.store = staging;
      this.revision = Math.max(head.revision, staging.maxRevision);
    } else {
      this.revision = Math.max(this.revision, head.revision);
    }
    this.epoch = head.epoch;
    return events;
  }

  /** Serves the adopted view and emits its events (one batch, rule 9); logs the initial sync. */
  publish(events: LatticeChange[]): void {
    const first = this.readable === undefined;
    this.readable = this.store;
    this.counters.appliedChanges += events.length;
    this.hub.emitBatch(events);
    if (first)
      this.logger.info({ revision: this.revision, entries: this.store.size }, "initial sync complete");
  }

  private applyOutcome(entry: BackendEntry, outcome: ApplyOutcome): void {
    if (outcome.kind === "invalid") this.reportInvalid(entry, outcome.error);
    // An invalid value over a valid one is a change too: the key no longer reads as the old value (rule 11).
    if ((outcome.kind === "changed" || outcome.kind === "invalid") && outcome.event !== undefined) {
      this.counters.appliedChanges += 1;
      this.hub.emit(outcome.event);
    }
  }

  private reportInvalid(entry: BackendEntry, error: unknown): void {
    this.counters.invalidEntries += 1;
    // Rule 11: logged once per key, counted every time.
    if (this.loggedInvalid.has(entry.key) || this.loggedInvalid.size >= MAX_LOGGED_INVALID) return;
    this.loggedInvalid.add(entry.key);
    this.logger.warn(
      { key: entry.key, revision: entry.revision, reason: errorText(error) },
      "skipping an invalid entry from the backend",
    );
  }
}
