// redis.write.c256: cache puts on the redis backend versus the hand-rolled peer — MULTI { SET entry; XADD to
// a change log; INCR a revision counter } — and versus a bare SET, 256 in flight each.
import { LatticeCache } from "@lattice-cache/core";
import { RedisBackend } from "@lattice-cache/redis";
import { Redis } from "ioredis";
import type { BenchContext } from "../bench-context.js";
import { compareThroughput } from "../measure.js";
import { type BenchResult, judge } from "../result.js";
import { sampleEntry } from "../sample-data.js";

const SPREAD = 5000;
/** The peer's change log is capped like ours (`MAXLEN ~`), so both keep a bounded history. */
const PEER_LOG_MAXLEN = "10000";

/** Runs the redis write scenario. */
export async function redisWriteScenario(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.progress("redis.write.c256: redis backend put vs MULTI {SET; XADD; INCR} vs SET, 256 in flight");
  const entries = Array.from({ length: SPREAD }, (_, i) => {
    const e = sampleEntry(i);
    return { ...e, buffer: Buffer.from(e.bytes) };
  });
  const raw = new Redis(ctx.redis.url, { lazyConnect: false });
  ctx.onClose(async () => raw.quit());
  const prefix = ctx.newPrefix("redis");
  const cache = await LatticeCache.open({
    backend: new RedisBackend({ url: ctx.redis.url, prefix }),
    hostId: "redis-writer",
  });
  ctx.onClose(() => cache.close());
  await cache.ready(30_000);
  const entry = (i: number) => entries[i % SPREAD]!;
  const sides = {
    ours: (i: number) => cache.linkdefs.put(entry(i).value),
    peer: (i: number) => {
      const e = entry(i);
      return raw
        .multi()
        .set(`peer:entry:${e.key}`, e.buffer)
        .xadd("peer:changes", "MAXLEN", "~", PEER_LOG_MAXLEN, "*", "key", e.key, "value", e.buffer)
        .incr("peer:revision")
        .exec();
    },
    bare: (i: number) => raw.set(`bare:${entry(i).key}`, entry(i).buffer),
  };
  const best = await compareThroughput(sides, { concurrency: 256, durationMs: ctx.sizes.durationMs });
  return [
    judge({
      name: "redis.write.c256",
      ours: best.ours,
      baseline: {
        value: best.peer,
        does: "ioredis MULTI { SET entry; XADD change log (key, value); INCR revision }",
      },
      bare: { value: best.bare, does: "ioredis SET of the entry" },
      unit: "puts/s",
      goal: { kind: "ratio-at-least", value: 0.9 },
    }),
  ];
}
