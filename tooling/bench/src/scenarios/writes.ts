// write.put.c1 and write.put.c256: cache puts (jetstream backend) versus raw kv.put of the same link
// definitions. The raw side does what any raw-client user must do per put — hash the wasmCloud key and
// JSON-encode the value — and nothing more (no validation, no replica, no retries, no origin header).

import { type LinkDefinition, linkdefKey } from "@lattice-cache/core";
import type { KV } from "@nats-io/kv";
import type { BenchContext } from "../bench-context.js";
import { throughput } from "../measure.js";
import { type BenchResult, judge } from "../result.js";
import { sampleEntry } from "../sample-data.js";

function rawPut(kv: KV, v: LinkDefinition): Promise<number> {
  return kv.put(linkdefKey(v.actor_id, v.contract_id, v.link_name), JSON.stringify(v));
}

const SPREAD = 5000;

/** Runs the two write scenarios. */
export async function writeScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const entries = Array.from({ length: SPREAD }, (_, i) => sampleEntry(i));
  for (const [name, concurrency, goal] of [
    ["write.put.c1", 1, 0.85],
    ["write.put.c256", 256, 0.9],
  ] as const) {
    ctx.progress(`${name}: cache put vs raw kv.put, ${concurrency} in flight`);
    const oursPrefix = ctx.newPrefix("write");
    const rawPrefix = ctx.newPrefix("write");
    const cache = await ctx.cache(oursPrefix, "writer");
    const kv = await ctx.rawKv(rawPrefix);
    // Warm both paths, then alternate raw / ours twice and keep each side's better run (less noise).
    await throughput(
      (i) => kv.put((entries[i % SPREAD] as { key: string }).key, entries[i % SPREAD]!.bytes),
      {
        concurrency,
        durationMs: 300,
      },
    );
    await throughput((i) => cache.linkdefs.put(entries[i % SPREAD]!.value), { concurrency, durationMs: 300 });
    let ours = 0;
    let raw = 0;
    for (let round = 0; round < 2; round++) {
      const r = await throughput((i) => rawPut(kv, entries[i % SPREAD]!.value), {
        concurrency,
        durationMs: ctx.sizes.durationMs,
      });
      const o = await throughput((i) => cache.linkdefs.put(entries[i % SPREAD]!.value), {
        concurrency,
        durationMs: ctx.sizes.durationMs,
      });
      raw = Math.max(raw, r.opsPerSecond);
      ours = Math.max(ours, o.opsPerSecond);
    }
    results.push(judge(name, ours, raw, "puts/s", { kind: "ratio-at-least", value: goal }));
  }
  return results;
}
