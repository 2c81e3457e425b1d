// hydrate.<n> and memory.<n>: a cold replica start over a full bucket versus the hand-rolled peer — a raw
// kv.watch() replay JSON-parsing every value into a Map — and versus the bare replay that decodes nothing;
// the replica's retained heap per entry versus the peer's Map, and versus the raw JSON bytes.
import type { BenchContext } from "../bench-context.js";
import { retainedHeap } from "../measure.js";
import { applyEntry } from "../raw-peer.js";
import { type BenchResult, judge, sizeLabel } from "../result.js";
import { fillBucket, rawReplay } from "../sample-bucket.js";

/** Runs the hydrate and memory scenarios. */
export async function hydrateScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.sizes.hydrateEntries;
  const prefix = ctx.newPrefix("hydrate");
  ctx.progress(`hydrate: filling a bucket with ${n.toLocaleString("en-US")} link definitions`);
  const { jsonBytes } = await fillBucket(await ctx.rawConnection(), prefix, n);

  ctx.progress("hydrate: bare kv.watch replay");
  const bareStart = performance.now();
  await rawReplay(await ctx.rawKv(prefix), () => {});
  const bareMs = performance.now() - bareStart;

  ctx.progress("hydrate: the peer's kv.watch replay into a Map of parsed values");
  // Timed like our cold start: from connecting and opening the bucket until the view is complete.
  const peer = await retainedHeap(async () => {
    const map = new Map<string, unknown>();
    await rawReplay(await ctx.rawKv(prefix), (entry) => applyEntry(map, entry));
    return { map };
  });
  if (peer.value.map.size !== n)
    throw new Error(`the peer's Map holds ${peer.value.map.size}, expected ${n}`);
  const peerMs = peer.ms;
  const peerBytes = peer.bytes / n;
  peer.value.map.clear();

  ctx.progress("hydrate: our replica's cold start until ready()");
  const ours = await retainedHeap(() => ctx.cache(prefix, "cold"));
  if (ours.value.linkdefs.size !== n)
    throw new Error(`replica holds ${ours.value.linkdefs.size} entries, expected ${n}`);
  const rate = (ms: number) => n / (ms / 1000);
  const label = sizeLabel(n);
  return [
    judge({
      name: `hydrate.${label}`,
      ours: rate(ours.ms),
      baseline: {
        value: rate(peerMs),
        does: "connect, open the bucket, kv.watch() replay with JSON.parse of every value into a Map by key",
      },
      bare: { value: rate(bareMs), does: "connect, open the bucket, kv.watch() replay decoding nothing" },
      unit: "entries/s",
      goal: { kind: "ratio-at-least", value: 1 },
    }),
    judge({
      name: `memory.${label}`,
      ours: ours.bytes / n,
      baseline: { value: peerBytes, does: "retained heap of that Map of parsed values, per entry" },
      bare: { value: jsonBytes / n, does: "the raw JSON bytes per entry" },
      unit: "bytes/entry",
      goal: { kind: "ratio-at-most", value: 1.5 },
    }),
  ];
}
