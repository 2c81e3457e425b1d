// redis.write.c256: cache puts on the redis backend versus raw ioredis SET, 256 in flight each.
import { LatticeCache } from "@lattice-cache/core";
import { RedisBackend } from "@lattice-cache/redis";
import { Redis } from "ioredis";
import type { BenchContext } from "../bench-context.js";
import { throughput } from "../measure.js";
import { type BenchResult, judge } from "../result.js";
import { sampleEntry } from "../sample-data.js";

const SPREAD = 5000;

/** Runs the redis write scenario. */
export async function redisWriteScenario(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.progress("redis.write.c256: redis backend put vs raw ioredis SET, 256 in flight");
  const entries = Array.from({ length: SPREAD }, (_, i) => sampleEntry(i));
  const raw = new Redis(ctx.redis.url, { lazyConnect: false });
  ctx.onClose(async () => raw.quit());
  const prefix = ctx.newPrefix("redis");
  const cache = await LatticeCache.open({
    backend: new RedisBackend({ url: ctx.redis.url, prefix }),
    hostId: "redis-writer",
  });
  ctx.onClose(() => cache.close());
  await cache.ready(30_000);
  const options = { concurrency: 256, durationMs: ctx.sizes.durationMs };
  await throughput(
    (i) => raw.set(`raw:${entries[i % SPREAD]!.key}`, Buffer.from(entries[i % SPREAD]!.bytes)),
    { ...options, durationMs: 300 },
  );
  await throughput((i) => cache.linkdefs.put(entries[i % SPREAD]!.value), { ...options, durationMs: 300 });
  let ours = 0;
  let base = 0;
  for (let round = 0; round < 2; round++) {
    const r = await throughput(
      (i) => raw.set(`raw:${entries[i % SPREAD]!.key}`, Buffer.from(entries[i % SPREAD]!.bytes)),
      options,
    );
    const o = await throughput((i) => cache.linkdefs.put(entries[i % SPREAD]!.value), options);
    base = Math.max(base, r.opsPerSecond);
    ours = Math.max(ours, o.opsPerSecond);
  }
  return [judge("redis.write.c256", ours, base, "puts/s", { kind: "ratio-at-least", value: 0.6 })];
}
