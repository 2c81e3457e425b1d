// read.get and read.vs-map: reads served by the replica versus a network read and a plain Map.
import type { LinkDefinition, LinkDefinitionRef } from "@lattice-cache/core";
import type { BenchContext } from "../bench-context.js";
import { syncThroughput, throughput } from "../measure.js";
import { type BenchResult, judge } from "../result.js";
import { sampleEntry } from "../sample-data.js";

const KEYS = 1000;

/** Runs the two read scenarios. */
export async function readScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const prefix = ctx.newPrefix("read");
  const cache = await ctx.cache(prefix, "reader");
  const kv = await ctx.rawKv(prefix);
  const entries = Array.from({ length: KEYS }, (_, i) => sampleEntry(i));
  await Promise.all(entries.map((e) => cache.linkdefs.put(e.value)));
  const refs: LinkDefinitionRef[] = entries.map((e) => ({
    actor_id: e.value.actor_id,
    contract_id: e.value.contract_id,
    link_name: e.value.link_name,
  }));
  const decoded = new Map<string, LinkDefinition>(entries.map((e) => [e.key, e.value]));
  const keys = entries.map((e) => e.key);

  ctx.progress("read.get: replica reads vs raw kv.get (256 in flight)");
  const ours = syncThroughput(
    (i) => cache.linkdefs.get(refs[i % KEYS] as LinkDefinitionRef),
    ctx.sizes.durationMs,
  );
  const raw = await throughput((i) => kv.get(keys[i % KEYS] as string), {
    concurrency: 256,
    durationMs: ctx.sizes.durationMs,
  });
  ctx.progress("read.vs-map: replica reads vs Map.get of the same decoded objects");
  const map = syncThroughput((i) => decoded.get(keys[i % KEYS] as string), ctx.sizes.durationMs);
  return [
    judge({
      name: "read.get",
      ours,
      baseline: { value: raw.opsPerSecond, does: "raw kv.get of the storage key, 256 in flight" },
      unit: "ops/s",
      goal: { kind: "ratio-at-least", value: 100 },
    }),
    judge({
      name: "read.vs-map",
      ours,
      baseline: { value: map, does: "Map.get of the same decoded objects by precomputed storage key" },
      unit: "ops/s",
      goal: { kind: "ratio-at-least", value: 0.25 },
    }),
  ];
}
