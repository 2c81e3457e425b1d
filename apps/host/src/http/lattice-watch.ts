// The lattice at a glance, for the status page's Lattice section (`/lattice`): while someone watches, asks
// every host on the lattice-wide status channel every few seconds, audits the answers (split brain, lag) and
// keeps a bounded, in-memory history per host; beside it, this host's own apply and write rates, how long
// the oldest change it has not applied yet has waited, and its propagation delay (backend write time → applied
// here). Nothing is sampled while nobody asks.
//
// Whoever may publish on the status channel chooses the host ids it hears (issue 27), so what it keeps is
// capped by count as well as by time: at most `maxHosts` hosts, at most `maxHistoryPoints` points each. A host
// already listed keeps its place while it answers; a new one takes free room or the place of the longest
// silent one, and is left out (and noted) when every listed host still answers — so a flood of fake ids
// cannot push out hosts that answer. With a status secret, only verified answers enter the view's memory.
// Rules cited here: docs/semantics.md#rule-2.
import { setTimeout as sleep } from "node:timers/promises";
import { type CacheStatus, errorText } from "@lattice-cache/core";
import type { GatheredStatus, StatusBus } from "@lattice-cache/plugin";
import {
  type AuditedHost,
  auditLattice,
  type LatticeAudit,
  type SplitBrain,
} from "../audit/lattice-audit.js";

/** How often, how long and how much the watch samples. */
export interface LatticeWatchOptions {
  /** Start-to-start interval of samples, in ms. */
  readonly sampleEveryMs: number;
  /** How long one sample gathers answers, in ms. */
  readonly windowMs: number;
  /** How far back the history reaches (and how long a silent host stays listed), in ms. */
  readonly historyMs: number;
  /** Sampling stops this long after the last request for the view, in ms. */
  readonly idleAfterMs: number;
  /** Most hosts remembered (the longest silent ones are forgotten first; hosts that answer never for new ones). */
  readonly maxHosts: number;
  /** Most points of each host's history (older ones are dropped first). */
  readonly maxHistoryPoints: number;
  /** How long the first request waits for the first sample, in ms. */
  readonly firstSampleWaitMs: number;
  /** The clock, ms since the epoch (tests pass their own). */
  readonly clock: () => number;
}

/** The defaults: a sample every 3 s gathering for 1 s, ten minutes of history (201 points), 256 hosts. */
export const DEFAULT_LATTICE_WATCH: LatticeWatchOptions = {
  sampleEveryMs: 3000,
  windowMs: 1000,
  historyMs: 10 * 60_000,
  idleAfterMs: 3 * 60_000,
  maxHosts: 256,
  maxHistoryPoints: (10 * 60_000) / 3000 + 1,
  firstSampleWaitMs: 3000,
  clock: Date.now,
};

/** Whether a host's digest agrees with the other hosts at its revision. */
export type Agreement =
  /** Every other answering host at its revision (same ordered backend) holds the same digest. */
  | "agrees"
  /** Another host at the same revision holds a different digest: rule 2 is broken. */
  | "split-brain"
  /** No other answering host is at its revision: nothing to compare with right now. */
  | "alone"
  /** Not synced yet (or no digest): not compared. */
  | "not-compared"
  /** An unordered backend whose hosts hold different digests: drift, not a proof of split brain. */
  | "drift";

/** One host of the lattice as the Lattice section shows it. */
export interface WatchedHost extends Omit<AuditedHost, "lag"> {
  /** Revisions behind the highest any host of its backend reported, at its last answer (null: unordered). */
  readonly lag: number | null;
  /** True when it answered the latest sample; otherwise its fields are from {@link lastSeen}. */
  readonly answering: boolean;
  /** When it last answered (ms since the epoch, the serving host's clock). */
  readonly lastSeen: number;
  /** Its digest against the other hosts at its revision (latest sample; `not-compared` when silent). */
  readonly agreement: Agreement;
  /** True for the host serving this view. */
  readonly self: boolean;
  /** `[time, lag]` at each answer, oldest first (lag null on unordered backends). */
  readonly history: readonly (readonly [number, number | null])[];
}

/** One sample of this host's own replica. */
export interface SelfSample {
  /** ms since the epoch. */
  readonly t: number;
  /** Changes its replica applied per second since the previous sample (every writer's). */
  readonly appliedPerSecond: number;
  /** Its own successful writes per second since the previous sample. */
  readonly writesPerSecond: number;
  /** How long the oldest change it knows of but has not applied has waited, in ms (0 when caught up). */
  readonly lagMs: number;
  /** Backend revision minus applied revision. */
  readonly lag: number;
  /**
   * Propagation delay, median over the latest live changes (`status().propagation`): backend write time →
   * applied here, in ms. Null when not measured (no write time from the backend, or no live change yet).
   */
  readonly propagationP50Ms: number | null;
  /** The same, 99th percentile. */
  readonly propagationP99Ms: number | null;
  /** How many live changes the percentiles are over (at most 256). */
  readonly propagationSamples: number;
}

/** Backends whose changes carry the backend's write time (`BackendEntry.writtenAt`). */
const STAMPING_BACKENDS: ReadonlySet<string> = new Set(["jetstream", "memory"]);

/**
 * Why this host shows no propagation delay, or null when it does: a backend whose changes carry no write
 * time cannot be measured; one that does has not brought a live change yet.
 */
export function propagationNote(status: CacheStatus | undefined): string | null {
  // A status without the field (a partial one in a test) says nothing either way.
  if (!status?.propagation || status.propagation.samples > 0) return null;
  return STAMPING_BACKENDS.has(status.backend)
    ? "no live change from the feed yet"
    : `not measured by the ${status.backend} backend: its changes carry no write time`;
}

/** What `/lattice` answers. */
export interface LatticeView {
  /** The serving host's clock, ms since the epoch (charts place points against it, not the browser's). */
  readonly now: number;
  /** Where status requests travel, or null when the backend has no status channel. */
  readonly channel: string | null;
  readonly sampling: {
    readonly everyMs: number;
    readonly windowMs: number;
    readonly historyMs: number;
    /** When sampling (re)started, ms since the epoch; null before the first request. */
    readonly since: number | null;
    /** When the latest sample finished; null before the first. */
    readonly lastSampleAt: number | null;
    /** Why the latest sample failed, or null. */
    readonly lastError: string | null;
  };
  /** This host's id, when its cache is open. */
  readonly selfId: string | null;
  /** This host's own samples, oldest first. */
  readonly self: readonly SelfSample[];
  /** Why this host's propagation delay is not shown (see `propagationNote`), or null when it is. */
  readonly propagationNote: string | null;
  /** Every host heard from within the history, sorted by id. */
  readonly hosts: readonly WatchedHost[];
  /** Split brains in the latest sample. */
  readonly splitBrains: readonly SplitBrain[];
  /** The latest audit's notes. */
  readonly notes: readonly string[];
  /** The latest audit's verdict: every host live, in step, in agreement. */
  readonly converged: boolean;
}

interface HostRecord {
  host: AuditedHost;
  lastSeen: number;
  history: [number, number | null][];
}

/** Samples the lattice while it is being looked at; see the file comment. */
export class LatticeWatch {
  private readonly options: LatticeWatchOptions;
  private bus: StatusBus | undefined;
  private busMade = false;
  private readonly records = new Map<string, HostRecord>();
  private selfSamples: SelfSample[] = [];
  private previousCounters: { t: number; applied: number; writes: number } | undefined;
  private latest: LatticeAudit | undefined;
  /** Hosts the latest sample heard but could not list (every listed host still answered). */
  private leftOut = 0;
  private latestAt: number | null = null;
  private lastError: string | null = null;
  private since: number | null = null;
  private lastInterest = 0;
  private loop: Promise<void> | undefined;
  private firstSample: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(
    private readonly createBus: () => StatusBus | undefined,
    private readonly selfStatus: () => CacheStatus | undefined,
    options: Partial<LatticeWatchOptions> = {},
  ) {
    this.options = { ...DEFAULT_LATTICE_WATCH, ...options };
    this.now = this.options.clock;
  }

  /** The view, (re)starting sampling; the first call waits (boundedly) for the first sample. */
  async view(): Promise<LatticeView> {
    this.lastInterest = this.now();
    if (!this.loop && !this.abort.signal.aborted) {
      this.since = this.now();
      // A rate over the idle gap would be an average nobody watched: start the rates afresh.
      this.previousCounters = undefined;
      let firstDone!: () => void;
      this.firstSample = new Promise<void>((resolve) => {
        firstDone = resolve;
      });
      this.loop = this.run(firstDone).finally(() => {
        this.loop = undefined;
      });
    }
    if (this.latestAt === null && this.firstSample) {
      await Promise.race([
        this.firstSample,
        sleep(this.options.firstSampleWaitMs, undefined, { ref: false }),
      ]);
    }
    return this.snapshot();
  }

  /** Stops sampling and closes the status channel. Idempotent. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    const bus = this.bus;
    this.bus = undefined;
    await bus?.close().catch(() => {});
  }

  private async run(firstDone: () => void): Promise<void> {
    try {
      while (!this.abort.signal.aborted && this.now() - this.lastInterest < this.options.idleAfterMs) {
        const started = this.now();
        try {
          await this.sample();
        } catch (error) {
          this.lastError = errorText(error);
        }
        firstDone();
        const pause = Math.max(0, this.options.sampleEveryMs - (this.now() - started));
        try {
          await sleep(pause, undefined, { signal: this.abort.signal, ref: false });
        } catch {
          return; // stopped
        }
      }
    } finally {
      firstDone();
    }
  }

  /**
   * One sample now: this host's counters, then every host's answer on the status channel. The sampling loop
   * calls it; tests call it to step a watch whose loop waits.
   */
  async sample(): Promise<void> {
    this.sampleSelf(this.now());
    if (!this.busMade) {
      this.busMade = true;
      try {
        this.bus = this.createBus();
      } catch (error) {
        this.lastError = `cannot open the status channel: ${errorText(error)}`;
      }
    }
    const bus = this.bus;
    if (!bus) {
      this.latestAt = this.now();
      this.prune(this.latestAt);
      return;
    }
    let gathered: GatheredStatus;
    try {
      gathered = await bus.gather(this.options.windowMs);
      this.lastError = null;
    } catch (error) {
      this.lastError = `cannot ask the hosts on ${bus.channel}: ${errorText(error)}`;
      gathered = { reports: [], notes: [], secured: false };
    }
    const now = this.now();
    const audit = auditLattice(gathered);
    this.prune(now);
    this.record(audit, now);
    this.latest = audit;
    this.latestAt = now;
  }

  /** Records a sample's hosts: those listed already first, then new ones in the room left (file comment). */
  private record(audit: LatticeAudit, now: number): void {
    const heard = audit.secured ? audit.hosts.filter((h) => h.verified) : audit.hosts;
    const listed = heard.filter((h) => this.records.has(h.hostId));
    const fresh = heard.filter((h) => !this.records.has(h.hostId));
    this.leftOut = 0;
    for (const host of [...listed, ...fresh]) {
      let record = this.records.get(host.hostId);
      if (record === undefined) {
        if (this.records.size >= this.options.maxHosts && !this.forgetLongestSilent(now)) {
          this.leftOut += 1;
          continue;
        }
        record = { host, lastSeen: now, history: [] };
        this.records.set(host.hostId, record);
      }
      record.host = host;
      if (record.lastSeen === now && record.history.at(-1)?.[0] === now) continue; // one point per sample
      record.lastSeen = now;
      record.history.push([now, host.lag]);
      if (record.history.length > this.options.maxHistoryPoints) record.history.shift();
    }
  }

  /** Forgets the host silent the longest, unless every listed host answered at `now`. */
  private forgetLongestSilent(now: number): boolean {
    let oldest: [string, HostRecord] | undefined;
    for (const entry of this.records) {
      if (entry[1].lastSeen < now && (oldest === undefined || entry[1].lastSeen < oldest[1].lastSeen))
        oldest = entry;
    }
    if (oldest !== undefined) this.records.delete(oldest[0]);
    return oldest !== undefined;
  }

  private sampleSelf(now: number): void {
    const status = this.selfStatus();
    if (!status) return;
    const counters = { t: now, applied: status.counters.appliedChanges, writes: status.counters.writes };
    const previous = this.previousCounters;
    this.previousCounters = counters;
    if (!previous || now <= previous.t) return;
    const seconds = (now - previous.t) / 1000;
    this.selfSamples.push({
      t: now,
      appliedPerSecond: round(Math.max(0, counters.applied - previous.applied) / seconds),
      writesPerSecond: round(Math.max(0, counters.writes - previous.writes) / seconds),
      lagMs: status.lagMs,
      lag: status.lag,
      propagationP50Ms: status.propagation?.p50Ms ?? null,
      propagationP99Ms: status.propagation?.p99Ms ?? null,
      propagationSamples: status.propagation?.samples ?? 0,
    });
  }

  /** Drops what is older than the history: samples, points, and hosts silent that long. */
  private prune(now: number): void {
    const oldest = now - this.options.historyMs;
    while ((this.selfSamples[0]?.t ?? now) < oldest) this.selfSamples.shift();
    while (this.selfSamples.length > this.options.maxHistoryPoints) this.selfSamples.shift();
    for (const [id, record] of this.records) {
      if (record.lastSeen < oldest) this.records.delete(id);
      else while ((record.history[0]?.[0] ?? now) < oldest) record.history.shift();
    }
  }

  private snapshot(): LatticeView {
    const selfStatus = this.selfStatus();
    const selfId = selfStatus?.hostId ?? null;
    const answering = new Set(this.latest?.hosts.map((h) => h.hostId));
    const current = this.latest?.hosts ?? [];
    const hosts = [...this.records.values()]
      .map(({ host, lastSeen, history }): WatchedHost => {
        const isAnswering = answering.has(host.hostId);
        return {
          ...host,
          answering: isAnswering,
          lastSeen,
          agreement: isAnswering ? agreementOf(host, current) : "not-compared",
          self: host.hostId === selfId,
          history: history.map(([t, lag]) => [t, lag] as const),
        };
      })
      .sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
    return {
      now: this.now(),
      channel: this.bus?.channel ?? null,
      sampling: {
        everyMs: this.options.sampleEveryMs,
        windowMs: this.options.windowMs,
        historyMs: this.options.historyMs,
        since: this.since,
        lastSampleAt: this.latestAt,
        lastError: this.lastError,
      },
      selfId,
      self: [...this.selfSamples],
      propagationNote: propagationNote(selfStatus),
      hosts,
      splitBrains: this.latest?.splitBrains ?? [],
      notes: [
        ...(this.latest?.notes ?? []),
        ...(this.leftOut > 0
          ? [
              `${this.leftOut} answering host${this.leftOut === 1 ? "" : "s"} not listed: the view holds ${this.options.maxHosts}, and hosts listed already keep their place while they answer`,
            ]
          : []),
      ],
      converged: this.latest?.converged ?? false,
    };
  }
}

/** Synced states: a revision and digest worth comparing (as in the audit). */
const SYNCED = new Set(["live", "stale", "resyncing"]);

function agreementOf(host: AuditedHost, all: readonly AuditedHost[]): Agreement {
  if (host.splitBrainWith.length > 0) return "split-brain";
  if (host.digest === null || !SYNCED.has(host.state)) return "not-compared";
  const peers = all.filter(
    (h) =>
      h !== host &&
      h.backend === host.backend &&
      h.digest !== null &&
      SYNCED.has(h.state) &&
      (host.ordered ? h.ordered && h.revision === host.revision : !h.ordered),
  );
  if (peers.length === 0) return "alone";
  // Ordered: a different digest at this revision would have been a split brain (above).
  return !host.ordered && peers.some((p) => p.digest !== host.digest) ? "drift" : "agrees";
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
