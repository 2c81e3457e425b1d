// Prometheus metrics of a host: a prom-client registry whose gauges and counters read the cache's status()
// at scrape time (no timers, no drift between /status and /metrics).
import type { CacheStatus, LatticeCache } from "@lattice-cache/core";
import { COLLECTION_NAMES, PROPAGATION_SAMPLES } from "@lattice-cache/core";
import type { StatusChannelKind, StatusRejectionReason, StatusRejections } from "@lattice-cache/plugin";
import { HOST_STATES, type HostState } from "@lattice-cache/plugin";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { LATTICE_VERSION } from "../version.js";
import { mirroredCounter, scrapedGauge } from "./scraped-metrics.js";

/** Who a host is, for `lattice_cache_info`. */
export interface MetricsIdentity {
  readonly hostId?: string;
  readonly backend: string;
  readonly prefix: string;
}

/** Metric names, for the README and for tests. */
export const METRIC_NAMES = {
  info: "lattice_cache_info",
  entries: "lattice_cache_entries",
  revision: "lattice_cache_revision",
  backendRevision: "lattice_cache_backend_revision",
  lag: "lattice_cache_lag",
  lagSeconds: "lattice_cache_lag_seconds",
  propagationDelay: "lattice_cache_propagation_delay_seconds",
  propagationSamples: "lattice_cache_propagation_samples",
  backendConnected: "lattice_cache_backend_connected",
  invalidKeys: "lattice_cache_invalid_keys",
  state: "lattice_cache_state",
  ready: "lattice_cache_ready",
  staleSeconds: "lattice_cache_stale_seconds",
  appliedChanges: "lattice_cache_applied_changes_total",
  resyncs: "lattice_cache_resyncs_total",
  feedRestarts: "lattice_cache_feed_restarts_total",
  invalidEntries: "lattice_cache_invalid_entries_total",
  writes: "lattice_cache_writes_total",
  writeErrors: "lattice_cache_write_errors_total",
  statusRejected: "lattice_cache_status_rejected_total",
  eventStreams: "lattice_http_event_streams",
  eventStreamQueuedBytes: "lattice_http_event_stream_queued_bytes",
  eventStreamsDropped: "lattice_http_event_streams_dropped_total",
  eventStreamsRefused: "lattice_http_event_streams_refused_total",
} as const;

/** What the host's `/events` streams report to the metrics (the HTTP server's `ChangeStream`). */
export interface EventStreamFigures {
  /** Open streams. */
  readonly size: number;
  /** Bytes written to them that the kernel has not taken yet. */
  readonly queuedBytes: number;
  /** Streams closed because their client fell too far behind (a monotonic total). */
  readonly dropped: number;
  /** Requests refused because the most streams were open (a monotonic total). */
  readonly refused: number;
}

/**
 * The host's metrics. The container makes one per host (token `METRICS`, from the host's config); `observe`
 * the cache once open. Its status buses count what they refuse through it ({@link StatusRejections}).
 */
export class HostMetrics implements StatusRejections {
  /** The prom-client registry `/metrics` renders. */
  readonly registry = new Registry();
  private cache: LatticeCache | undefined;
  private eventStreams: EventStreamFigures | undefined;
  /** One status() per scrape: every metric of a scrape sees the same snapshot. */
  private snapshot: CacheStatus | undefined;
  private readonly statusRejections: Counter<"channel" | "reason">;

  constructor(config: MetricsIdentity) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const status = () => this.currentStatus();
    const gauge = (name: string, help: string, read: () => number) =>
      scrapedGauge(this.registry, name, help, read);
    // The cache keeps the monotonic totals; a scrape mirrors them into prom-client counters.
    const counter = (name: string, help: string, read: () => number) =>
      mirroredCounter(this.registry, name, help, read);

    new Gauge({
      name: METRIC_NAMES.info,
      help: "Constant 1, labelled with this host's identity and `lattice` version",
      labelNames: ["host_id", "backend", "prefix", "version"],
      registers,
      collect() {
        this.reset();
        const s = status();
        this.set(
          {
            host_id: s?.hostId ?? config.hostId ?? "",
            backend: config.backend,
            prefix: config.prefix,
            version: LATTICE_VERSION,
          },
          1,
        );
      },
    });
    new Gauge({
      name: METRIC_NAMES.entries,
      help: "Live entries in the local replica, per collection",
      labelNames: ["collection"],
      registers,
      collect() {
        const s = status();
        for (const c of COLLECTION_NAMES) this.set({ collection: c }, s?.counts[c] ?? 0);
      },
    });
    gauge(
      METRIC_NAMES.revision,
      "The last revision applied by the local replica",
      () => status()?.revision ?? 0,
    );
    gauge(
      METRIC_NAMES.backendRevision,
      "The backend's latest revision when last seen",
      () => status()?.backendRevision ?? 0,
    );
    gauge(METRIC_NAMES.lag, "Backend revision minus applied revision", () => status()?.lag ?? 0);
    gauge(
      METRIC_NAMES.lagSeconds,
      "Seconds the oldest change not applied yet has been known (0 when caught up); a lagging replica stays live",
      () => (status()?.lagMs ?? 0) / 1000,
    );
    new Gauge({
      name: METRIC_NAMES.propagationDelay,
      help: "Propagation delay of the latest live changes from the backend to this replica (as /status shows it), by quantile; absent without samples",
      labelNames: ["quantile"],
      registers,
      collect() {
        this.reset();
        const { p50Ms, p99Ms } = status()?.propagation ?? {};
        if (p50Ms !== undefined) this.set({ quantile: "0.5" }, p50Ms / 1000);
        if (p99Ms !== undefined) this.set({ quantile: "0.99" }, p99Ms / 1000);
      },
    });
    gauge(
      METRIC_NAMES.propagationSamples,
      `Live changes the propagation delay is measured over (the latest ${PROPAGATION_SAMPLES} at most; 0 when the backend gives no write time)`,
      () => status()?.propagation.samples ?? 0,
    );
    gauge(
      METRIC_NAMES.backendConnected,
      "1 while the replica reaches its backend (feed connection up, last head check answered), 0 otherwise or before it opened",
      () => (status()?.backendConnected ? 1 : 0),
    );
    gauge(
      METRIC_NAMES.invalidKeys,
      "Keys whose newest value failed validation (they read as absent)",
      () => status()?.invalidKeys ?? 0,
    );
    gauge(METRIC_NAMES.ready, "1 once the initial sync completed", () => (this.cache?.isReady ? 1 : 0));
    gauge(
      METRIC_NAMES.staleSeconds,
      "Seconds the replica has been stale (0 while live)",
      () => (status()?.staleForMs ?? 0) / 1000,
    );
    new Gauge({
      name: METRIC_NAMES.state,
      help: "1 for the host's current sync state, 0 for the others",
      labelNames: ["state"],
      registers,
      collect() {
        const current: HostState = status()?.state ?? "connecting";
        for (const s of HOST_STATES) this.set({ state: s }, s === current ? 1 : 0);
      },
    });
    counter(
      METRIC_NAMES.appliedChanges,
      "Changes applied to the replica",
      () => status()?.counters.appliedChanges ?? 0,
    );
    counter(
      METRIC_NAMES.resyncs,
      "Full resyncs after gaps or lost history",
      () => status()?.counters.resyncs ?? 0,
    );
    counter(
      METRIC_NAMES.feedRestarts,
      "Feed restarts after a stall",
      () => status()?.counters.feedRestarts ?? 0,
    );
    counter(
      METRIC_NAMES.invalidEntries,
      "Invalid entries skipped",
      () => status()?.counters.invalidEntries ?? 0,
    );
    counter(METRIC_NAMES.writes, "Successful writes by this host", () => status()?.counters.writes ?? 0);
    new Counter({
      name: METRIC_NAMES.writeErrors,
      help: "Failed writes by this host, by error code",
      labelNames: ["code"],
      registers,
      collect() {
        this.reset();
        for (const [code, n] of Object.entries(status()?.counters.writeErrors ?? {})) this.inc({ code }, n);
      },
    });
    this.statusRejections = new Counter({
      name: METRIC_NAMES.statusRejected,
      help: "Status requests and answers refused on the status channel, by channel and reason (http: an address dropped; signature: an answer listed as unverified)",
      labelNames: ["channel", "reason"],
      registers,
    });
    gauge(METRIC_NAMES.eventStreams, "Open /events streams", () => this.eventStreams?.size ?? 0);
    gauge(
      METRIC_NAMES.eventStreamQueuedBytes,
      "Bytes written to /events streams that the kernel has not taken yet (their clients read slowly)",
      () => this.eventStreams?.queuedBytes ?? 0,
    );
    counter(
      METRIC_NAMES.eventStreamsDropped,
      "/events streams closed because their client fell too far behind",
      () => this.eventStreams?.dropped ?? 0,
    );
    counter(
      METRIC_NAMES.eventStreamsRefused,
      "/events requests refused (503) because the most streams were open",
      () => this.eventStreams?.refused ?? 0,
    );
  }

  /** Counts what a status channel refused (`lattice_cache_status_rejected_total`). */
  rejected(channel: StatusChannelKind, reason: StatusRejectionReason, count = 1): void {
    this.statusRejections.inc({ channel, reason }, count);
  }

  /** Starts reporting `cache` (before this, state is `connecting` and the values are 0). */
  observe(cache: LatticeCache): void {
    this.cache = cache;
  }

  /** Starts reporting the HTTP server's `/events` streams. */
  observeEventStreams(streams: EventStreamFigures): void {
    this.eventStreams = streams;
  }

  /** The Prometheus text exposition. */
  async render(): Promise<string> {
    this.snapshot = this.cache?.status();
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = undefined;
    }
  }

  /** The content type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private currentStatus(): CacheStatus | undefined {
    // Outside render() (registry.metrics() called directly) read the cache each time.
    return this.snapshot ?? this.cache?.status();
  }
}
