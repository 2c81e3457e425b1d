// hydrate.100k and memory.100k: a cold replica start over a full bucket versus a raw watch replay of it,
// and the replica's heap per entry versus the raw JSON bytes per entry.
import type { BenchContext } from "../bench-context.js";
import { retainedHeap } from "../measure.js";
import { type BenchResult, judge, sizeLabel } from "../result.js";
import { fillBucket, rawReplay } from "../sample-bucket.js";

/** Runs the hydrate and memory scenarios. */
export async function hydrateScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.sizes.hydrateEntries;
  const prefix = ctx.newPrefix("hydrate");
  ctx.progress(`hydrate: filling a bucket with ${n.toLocaleString("en-US")} link definitions`);
  const { jsonBytes } = await fillBucket(await ctx.rawConnection(), prefix, n);

  ctx.progress("hydrate: raw kv.watch replay");
  const raw = await rawReplay(await ctx.rawKv(prefix), () => {});
  const rawRate = raw.entries / (raw.ms / 1000);

  ctx.progress("hydrate: our replica's cold start until ready()");
  const ours = await retainedHeap(() => ctx.cache(prefix, "cold"));
  const oursRate = n / (ours.ms / 1000);
  const heapPerEntry = ours.bytes / n;
  const jsonPerEntry = jsonBytes / n;
  if (ours.value.linkdefs.size !== n)
    throw new Error(`replica holds ${ours.value.linkdefs.size} entries, expected ${n}`);
  const label = sizeLabel(n);
  return [
    judge(`hydrate.${label}`, oursRate, rawRate, "entries/s", { kind: "ratio-at-least", value: 0.8 }),
    judge(`memory.${label}`, heapPerEntry, jsonPerEntry, "bytes/entry", { kind: "ratio-at-most", value: 3 }),
  ];
}
