// Prometheus metrics of `lattice bridge`: the bridge's counters and queues, read from its status() at scrape
// time and registered beside the host's metrics (one /metrics for both).
import { Gauge, type Registry } from "prom-client";
import type { legacyMigration } from "../composition/builtin-backends.js";
import { mirroredCounter, scrapedGauge } from "../observability/scraped-metrics.js";

/** Counter metric per bridge counter (typed by the counters, so a new one cannot be forgotten here). */
export const BRIDGE_COUNTER_METRICS: Readonly<
  Record<keyof legacyMigration.LegacyBridgeCounters, { readonly name: string; readonly help: string }>
> = {
  imported: {
    name: "lattice_bridge_imported_total",
    help: "Legacy puts/dels written to the durable backend (start-up import included)",
  },
  skippedByPolicy: {
    name: "lattice_bridge_skipped_by_policy_total",
    help: "Legacy puts/dels the policy refused (durable-wins)",
  },
  skippedUnchanged: {
    name: "lattice_bridge_skipped_unchanged_total",
    help: "Legacy puts/dels that would not change the durable value",
  },
  superseded: {
    name: "lattice_bridge_superseded_total",
    help: "Legacy puts/dels not written because a later message for the same key had arrived",
  },
  broadcast: {
    name: "lattice_bridge_broadcast_total",
    help: "Durable changes broadcast to old hosts",
  },
  invalid: {
    name: "lattice_bridge_invalid_total",
    help: "Legacy messages that were undecodable or invalid, skipped",
  },
  answeredGets: {
    name: "lattice_bridge_answered_gets_total",
    help: "Old hosts' .get requests answered from the durable view",
  },
  refusedGets: {
    name: "lattice_bridge_refused_gets_total",
    help: ".get requests ignored because their reply subject is not an inbox",
  },
  failed: {
    name: "lattice_bridge_failed_total",
    help: "Imports that failed even after retries",
  },
  ignoredBridged: {
    name: "lattice_bridge_ignored_bridged_total",
    help: "Broadcasts of other bridges, heard and not imported",
  },
  unbroadcastable: {
    name: "lattice_bridge_unbroadcastable_total",
    help: "Durable deletes generation 1 cannot express (claims, reference maps)",
  },
};

/** The bridge's gauges. */
export const BRIDGE_GAUGE_METRICS = {
  info: "lattice_bridge_info",
  running: "lattice_bridge_running",
  connected: "lattice_bridge_connected",
  pendingImports: "lattice_bridge_pending_imports",
  pendingBroadcasts: "lattice_bridge_pending_broadcasts",
} as const;

/**
 * Registers the bridge's metrics on `registry`. `read` returns the bridge's status at scrape time, or
 * undefined before the bridge exists (every value is then 0).
 */
export function registerBridgeMetrics(
  registry: Registry,
  read: () => legacyMigration.LegacyBridgeStatus | undefined,
): void {
  const registers = [registry];
  // The bridge keeps the monotonic totals; a scrape mirrors them.
  for (const [counter, { name, help }] of Object.entries(BRIDGE_COUNTER_METRICS)) {
    mirroredCounter(
      registry,
      name,
      help,
      () => read()?.counters[counter as keyof legacyMigration.LegacyBridgeCounters] ?? 0,
    );
  }
  new Gauge({
    name: BRIDGE_GAUGE_METRICS.info,
    help: "Constant 1, labelled with the bridge's id and policy",
    labelNames: ["bridge_id", "policy"],
    registers,
    collect() {
      this.reset();
      const s = read();
      if (s) this.set({ bridge_id: s.bridgeId, policy: s.policy }, 1);
    },
  });
  const gauge = (name: string, help: string, value: (s: legacyMigration.LegacyBridgeStatus) => number) =>
    scrapedGauge(registry, name, help, () => {
      const s = read();
      return s ? value(s) : 0;
    });
  gauge(BRIDGE_GAUGE_METRICS.running, "1 while the bridge runs (both directions and .get answers)", (s) =>
    s.state === "running" ? 1 : 0,
  );
  gauge(BRIDGE_GAUGE_METRICS.connected, "1 while connected to the legacy NATS", (s) => (s.connected ? 1 : 0));
  gauge(
    BRIDGE_GAUGE_METRICS.pendingImports,
    "Legacy messages waiting to be written to the durable backend",
    (s) => s.pendingImports,
  );
  gauge(
    BRIDGE_GAUGE_METRICS.pendingBroadcasts,
    "Durable changes waiting to be broadcast to old hosts",
    (s) => s.pendingBroadcasts,
  );
}
