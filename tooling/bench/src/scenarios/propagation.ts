// propagate.p50 / .p99: a put on host A until the change event on host B, with 10 replicas live, versus a
// raw kv.put until a raw kv.watch on another connection sees it.
import type { LatticeCache } from "@lattice-cache/core";
import type { BenchContext } from "../bench-context.js";
import { type BenchResult, latencyRows } from "../result.js";
import { sampleEntry } from "../sample-data.js";

/** Runs the propagation scenario. */
export async function propagationScenario(ctx: BenchContext): Promise<BenchResult[]> {
  const { propagationSamples: samples, propagationReplicas: replicas } = ctx.sizes;
  ctx.progress(`propagate: ${samples} sequential puts, ${replicas} replicas vs a raw watch`);

  // Ours: host A writes, host B (one of `replicas`) reports the change event.
  const prefix = ctx.newPrefix("propagate");
  const hosts: LatticeCache[] = [];
  for (let i = 0; i < replicas; i++) hosts.push(await ctx.cache(prefix, `host-${i}`));
  const [a, b] = hosts as [LatticeCache, LatticeCache];
  const ours: number[] = [];
  let pending: { key: string; resolve: () => void } | undefined;
  b.onChange((event) => {
    if (pending && event.key === pending.key) pending.resolve();
  });
  for (let i = 0; i < samples + 50; i++) {
    const e = sampleEntry(i);
    const seen = new Promise<void>((resolve) => {
      pending = { key: e.key, resolve };
    });
    const t0 = performance.now();
    await a.linkdefs.put(e.value);
    await seen;
    if (i >= 50) ours.push(performance.now() - t0);
  }

  // Raw: kv.put on one connection, kv.watch on another.
  const rawPrefix = ctx.newPrefix("propagate");
  const writer = await ctx.rawKv(rawPrefix);
  const watcherKv = await ctx.rawKv(rawPrefix);
  const watch = await watcherKv.watch({ include: "updates" });
  ctx.onClose(async () => watch.stop());
  const raw: number[] = [];
  let rawPending: { key: string; resolve: () => void } | undefined;
  void (async () => {
    for await (const entry of watch) if (rawPending && entry.key === rawPending.key) rawPending.resolve();
  })();
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < samples + 50; i++) {
    const e = sampleEntry(i);
    const seen = new Promise<void>((resolve) => {
      rawPending = { key: e.key, resolve };
    });
    const t0 = performance.now();
    await writer.put(e.key, e.bytes);
    await seen;
    if (i >= 50) raw.push(performance.now() - t0);
  }
  const goals = {
    p50: { kind: "ratio-at-most", value: 1.5 },
    p99: { kind: "ours-below", value: 5 },
  } as const;
  return latencyRows("propagate", ours, raw, goals, `${replicas} replicas, ${samples} samples`);
}
