// Automatic tombstone compaction for running hosts: about once an interval (jittered, so hosts spread out)
// each host calls `compactLattice` with the lattice's tombstone retention; the lease's record of the last
// run makes it at most one compaction per interval on the whole lattice, by one host at a time. It runs in
// the background on the backend alone — reads and writes never wait for it.
// Rules cited here: docs/semantics.md#rule-6.
import type { LatticeBackend } from "./backend.js";
import { type CompactionOutcome, compactionUnsupported, compactLattice } from "./compact-lattice.js";
import { LatticeCacheError } from "./errors.js";
import { type Logger, silentLogger } from "./logger.js";

/** How often a host considers compacting, and the least time between two compactions of a lattice: 1 h. */
export const DEFAULT_COMPACTION_INTERVAL_MS = 60 * 60 * 1000;

/** How many removed keys one log line names. */
const KEYS_LOGGED = 20;

/** Options of {@link CompactionSchedule.start}. */
export interface CompactionScheduleOptions {
  /** The host's (open) backend. */
  readonly backend: LatticeBackend;
  /** The host's id: the lease holder. */
  readonly hostId: string;
  /** The lattice's tombstone retention in ms (`LatticeCacheOptions.tombstoneRetentionMs`); 0 = keep forever. */
  readonly retentionMs: number;
  readonly logger?: Logger;
  /** See {@link DEFAULT_COMPACTION_INTERVAL_MS}. */
  readonly intervalMs?: number;
}

/** A host's automatic compaction (see the file comment). Does nothing when it cannot or need not run. */
export class CompactionSchedule {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly logger: Logger;
  private readonly intervalMs: number;

  private constructor(private readonly options: CompactionScheduleOptions) {
    this.logger = options.logger ?? silentLogger;
    this.intervalMs = options.intervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
  }

  /**
   * Starts the schedule: the first check comes after a random part of the interval, then one every
   * interval ± 20 %. With a retention of 0, or a backend that cannot be compacted, it logs why once and
   * never runs (`active` is false).
   */
  static start(options: CompactionScheduleOptions): CompactionSchedule {
    const schedule = new CompactionSchedule(options);
    const why =
      options.retentionMs === 0
        ? "the tombstone retention is 0 (tombstones are kept forever)"
        : compactionUnsupported(options.backend);
    if (why === undefined) schedule.plan(schedule.intervalMs * (0.1 + 0.9 * Math.random()));
    else {
      schedule.stopped = true;
      options.logger?.info({ backend: options.backend.name }, `no automatic tombstone compaction: ${why}`);
    }
    return schedule;
  }

  /** True while checks are scheduled. */
  get active(): boolean {
    return !this.stopped;
  }

  /** Stops scheduling; a check in flight finishes in the background (its writes fail once the backend closes). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private plan(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check().finally(() => this.plan(this.intervalMs * (0.8 + 0.4 * Math.random())));
    }, delayMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const { backend, hostId, retentionMs } = this.options;
    try {
      const outcome = await compactLattice(backend, {
        olderThanMs: retentionMs,
        hostId,
        minIntervalMs: this.intervalMs,
      });
      if (!this.stopped) this.report(outcome);
    } catch (error) {
      if (this.stopped) return;
      if (LatticeCacheError.hasCode(error, "PERMISSION_DENIED")) {
        // One warning, then never again: this host's credentials will not change while it runs.
        this.stop();
        this.logger.warn(
          { err: error },
          "this host may not compact tombstones: automatic compaction is off for it (another host, or `lattice compact` with the rights docs/reliability.md lists, does it)",
        );
        return;
      }
      this.logger.warn({ err: error }, "tombstone compaction failed; trying again at the next check");
    }
  }

  private report(outcome: CompactionOutcome): void {
    if (outcome.status === "held") {
      this.logger.debug({ holder: outcome.holder, until: outcome.until }, "tombstone compaction: lease held");
    } else if (outcome.status === "not-due") {
      this.logger.debug(
        { lastRun: outcome.lastRun, nextDue: outcome.nextDue },
        "tombstone compaction: not due",
      );
    } else {
      const { removed, cutoff, scanned } = outcome.report;
      const facts = {
        removed: removed.length,
        scanned,
        cutoff,
        keys: removed.slice(0, KEYS_LOGGED).map((r) => r.key),
      };
      if (removed.length > 0) this.logger.info(facts, "tombstone compaction removed delete markers");
      else this.logger.debug(facts, "tombstone compaction found nothing to remove");
    }
  }
}
