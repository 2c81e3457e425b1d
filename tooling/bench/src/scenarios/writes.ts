// write.put.c1 and write.put.c256: cache puts (jetstream backend) versus the hand-rolled peer — raw kv.put
// of the hashed key and JSON-encoded value with a raw kv.watch() open in the same process parsing every
// entry into a Map (the local view every host needs) — and versus bare kv.put alone.

import type { BenchContext } from "../bench-context.js";
import { compareThroughput } from "../measure.js";
import { openRawView, rawLinkdefPut } from "../raw-peer.js";
import { type BenchResult, judge } from "../result.js";
import { sampleEntry } from "../sample-data.js";

const SPREAD = 5000;

/** Runs the two write scenarios. */
export async function writeScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const entries = Array.from({ length: SPREAD }, (_, i) => sampleEntry(i));
  const value = (i: number) => entries[i % SPREAD]!.value;
  for (const [name, concurrency] of [
    ["write.put.c1", 1],
    ["write.put.c256", 256],
  ] as const) {
    ctx.progress(
      `${name}: cache put vs raw kv.put with a watched view vs kv.put alone, ${concurrency} in flight`,
    );
    const cache = await ctx.cache(ctx.newPrefix("write"), "writer");
    const peerKv = await ctx.rawKv(ctx.newPrefix("write"));
    const peerView = await openRawView(peerKv);
    ctx.onClose(async () => peerView.stop());
    const bareKv = await ctx.rawKv(ctx.newPrefix("write"));
    const sides = {
      ours: (i: number) => cache.linkdefs.put(value(i)),
      peer: (i: number) => rawLinkdefPut(peerKv, value(i)),
      bare: (i: number) => rawLinkdefPut(bareKv, value(i)),
    };
    const best = await compareThroughput(sides, { concurrency, durationMs: ctx.sizes.durationMs });
    if (peerView.map.size === 0) throw new Error(`${name}: the peer's watch saw none of its writes`);
    results.push(
      judge({
        name,
        ours: best.ours,
        baseline: {
          value: best.peer,
          does: "raw kv.put (hashed key, JSON value) with a kv.watch() on the same connection parsing each entry into a Map",
        },
        bare: { value: best.bare, does: "raw kv.put (hashed key, JSON value), nothing watched" },
        unit: "puts/s",
        goal: { kind: "ratio-at-least", value: 1 },
      }),
    );
  }
  return results;
}
