// Runs the scenarios in one process against servers it starts itself, and collects the results.
import { DEFAULT_REPLICA_TIMING } from "@lattice-cache/core";
import { BenchContext, type BenchSizes } from "./bench-context.js";
import type { BenchResult } from "./result.js";
import { contentionScenario } from "./scenarios/contention.js";
import { hydrateScenarios } from "./scenarios/hydrate.js";
import { legacyBridgeScenario } from "./scenarios/legacy-bridge.js";
import { postgresWriteScenario } from "./scenarios/postgres-writes.js";
import { propagationScenario } from "./scenarios/propagation.js";
import { readScenarios } from "./scenarios/reads.js";
import { redisWriteScenario } from "./scenarios/redis-writes.js";
import { scaleScenarios } from "./scenarios/scale.js";
import { transferScenarios } from "./scenarios/transfer.js";
import { writeScenarios } from "./scenarios/writes.js";

/** Full-size runs: what the README table reports. */
export const FULL_SIZES: BenchSizes = {
  durationMs: 3000,
  hydrateEntries: 100_000,
  propagationSamples: 2000,
  propagationReplicas: 10,
  bridgeMessages: 50_000,
  idleHosts: 100,
  // Two periods of the replica's idle head check, so that its fallback requests are counted (and their CPU).
  idleWindowMs: 2 * DEFAULT_REPLICA_TIMING.idleCheckIntervalMs,
  fanoutReplicas: 200,
  fanoutSamples: 50,
  scaleHydrateEntries: 1_000_000,
  exportEntries: 1_000_000,
  importEntries: 100_000,
};

/**
 * `--quick`: every scenario, smaller (`scale.hydrate` at 100k instead of a million, `export` at 50k, `import` at
 * 10k), well under two minutes.
 */
export const QUICK_SIZES: BenchSizes = {
  durationMs: 1000,
  hydrateEntries: 20_000,
  propagationSamples: 300,
  propagationReplicas: 10,
  bridgeMessages: 10_000,
  idleHosts: 20,
  idleWindowMs: 10_000,
  fanoutReplicas: 200,
  fanoutSamples: 20,
  scaleHydrateEntries: 100_000,
  exportEntries: 50_000,
  importEntries: 10_000,
};

/** A scenario group: name (for `--only`) and its runner. */
export const SCENARIOS: ReadonlyArray<{ name: string; run: (ctx: BenchContext) => Promise<BenchResult[]> }> =
  [
    { name: "read", run: readScenarios },
    { name: "write", run: writeScenarios },
    { name: "propagate", run: propagationScenario },
    { name: "hydrate", run: hydrateScenarios },
    { name: "update", run: contentionScenario },
    { name: "redis", run: redisWriteScenario },
    { name: "postgres", run: postgresWriteScenario },
    { name: "legacy", run: legacyBridgeScenario },
    { name: "scale", run: scaleScenarios },
    { name: "transfer", run: transferScenarios },
  ];

/** Runs the selected scenario groups (all by default), reporting progress. */
export async function runBenchmarks(options: {
  sizes: BenchSizes;
  only?: readonly string[];
  progress: (message: string) => void;
}): Promise<BenchResult[]> {
  const ctx = await BenchContext.start(options.sizes, options.progress);
  const results: BenchResult[] = [];
  try {
    const selected = SCENARIOS.filter((s) => !options.only?.length || options.only.includes(s.name));
    for (const [i, scenario] of selected.entries()) {
      options.progress(`[${i + 1}/${selected.length}] ${scenario.name}`);
      results.push(...(await scenario.run(ctx)));
    }
  } finally {
    await ctx.dispose();
  }
  return results;
}
