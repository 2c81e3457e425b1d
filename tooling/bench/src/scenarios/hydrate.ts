// hydrate.100k and memory.100k: a cold replica start over a full bucket versus a raw watch replay of it,
// and the replica's heap per entry versus the raw JSON bytes per entry.
import { bucketName } from "@lattice-cache/jetstream";
import { jetstreamManager } from "@nats-io/jetstream";
import type { BenchContext } from "../bench-context.js";
import { settledHeap, throughput } from "../measure.js";
import { type BenchResult, judge } from "../result.js";
import { sampleEntry } from "../sample-data.js";

/** Runs the hydrate and memory scenarios. */
export async function hydrateScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.sizes.hydrateEntries;
  const prefix = ctx.newPrefix("hydrate");
  const kv = await ctx.rawKv(prefix);
  ctx.progress(`hydrate: filling a bucket with ${n.toLocaleString("en-US")} link definitions`);
  let jsonBytes = 0;
  await throughput(
    async (i) => {
      const e = sampleEntry(i);
      jsonBytes += e.bytes.byteLength;
      await kv.put(e.key, e.bytes);
    },
    { concurrency: 256, durationMs: 10 * 60_000, maxOps: n },
  );

  ctx.progress("hydrate: raw kv.watch replay");
  const nc = await ctx.rawConnection();
  const jsm = await jetstreamManager(nc);
  const lastSeq = (await jsm.streams.info(`KV_${bucketName(prefix)}`)).state.last_seq;
  const rawStart = performance.now();
  const watch = await kv.watch();
  let seen = 0;
  for await (const entry of watch) {
    seen++;
    if (entry.revision >= lastSeq) break;
  }
  watch.stop();
  const rawRate = seen / ((performance.now() - rawStart) / 1000);

  ctx.progress("hydrate: our replica's cold start until ready()");
  const before = await settledHeap();
  const started = performance.now();
  const cache = await ctx.cache(prefix, "cold");
  const oursRate = n / ((performance.now() - started) / 1000);
  const after = await settledHeap();
  const heapPerEntry = (after - before) / n;
  const jsonPerEntry = jsonBytes / n;
  if (cache.linkdefs.size !== n)
    throw new Error(`replica holds ${cache.linkdefs.size} entries, expected ${n}`);
  const label = n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
  return [
    judge(`hydrate.${label}`, oursRate, rawRate, "entries/s", { kind: "ratio-at-least", value: 0.8 }),
    judge(`memory.${label}`, heapPerEntry, jsonPerEntry, "bytes/entry", { kind: "ratio-at-most", value: 3 }),
  ];
}
