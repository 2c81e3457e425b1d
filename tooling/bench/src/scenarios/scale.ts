// The `scale` group: idle hosts, fan-out to many replicas and a cold start over a big bucket (a million entries;
// 100k with --quick), on a nats-server of their own so that no other scenario's clients are counted.
import { startNatsServer } from "@lattice-cache/test-harness";
import type { BenchContext } from "../bench-context.js";
import type { BenchResult } from "../result.js";
import { scaleFanoutScenario } from "./scale-fanout.js";
import { scaleHydrateScenario } from "./scale-hydrate.js";
import { scaleIdleScenario } from "./scale-idle.js";

/** Runs scale.idle, scale.fanout and, unless its size is 0, scale.hydrate. */
export async function scaleScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const server = await startNatsServer({ jetstream: true });
  try {
    const results = [...(await scaleIdleScenario(ctx, server)), ...(await scaleFanoutScenario(ctx, server))];
    if (ctx.sizes.scaleHydrateEntries > 0) results.push(...(await scaleHydrateScenario(ctx, server)));
    return results;
  } finally {
    await server.dispose();
  }
}
