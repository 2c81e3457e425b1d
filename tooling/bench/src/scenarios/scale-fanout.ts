// scale.fanout.p50 / .p99: one write until ALL of 200 replicas in this process have it, versus a raw kv.put
// until all of 200 raw kv.watch() watchers have it. Both sides share a pool of connections the same way.
import type { LatticeCache } from "@lattice-cache/core";
import type { NatsServerHandle } from "@lattice-cache/test-harness";
import type { NatsConnection } from "@nats-io/transport-node";
import type { BenchContext } from "../bench-context.js";
import { openMany, openReadyCache, rawBucket, rawConnect } from "../clients.js";
import { sleep } from "../measure.js";
import { type BenchResult, latencyRows } from "../result.js";
import { sampleEntry } from "../sample-data.js";

/** Connections the replicas (and the raw watchers) share, round robin. */
const POOL = 10;
/** Samples discarded before measuring, per side. */
const WARMUP = 5;
/** How long one write may take to reach every replica before the scenario fails. */
const ARRIVAL_TIMEOUT_MS = 30_000;

/** Counts arrivals of one expected key at a time; `expect` resolves once `count` receivers reported it. */
class Arrivals {
  private pending: { key: string; left: number; resolve: () => void } | undefined;

  expect(key: string, count: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const left = this.pending?.left;
        this.pending = undefined;
        reject(new Error(`${left} of ${count} receivers did not get ${key} within ${ARRIVAL_TIMEOUT_MS} ms`));
      }, ARRIVAL_TIMEOUT_MS);
      this.pending = {
        key,
        left: count,
        resolve: () => {
          clearTimeout(timer);
          this.pending = undefined;
          resolve();
        },
      };
    });
  }

  arrived(key: string): void {
    const p = this.pending;
    if (p && p.key === key && --p.left === 0) p.resolve();
  }
}

/** Times `samples` writes (after a warm-up) from the write until all `receivers` reported its key. */
async function fanoutTimes(
  arrivals: Arrivals,
  receivers: number,
  samples: number,
  write: (entry: ReturnType<typeof sampleEntry>) => Promise<unknown>,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + samples; i++) {
    const e = sampleEntry(i);
    const all = arrivals.expect(e.key, receivers);
    const t0 = performance.now();
    await write(e);
    await all;
    if (i >= WARMUP) times.push(performance.now() - t0);
  }
  return times;
}

/** Opens the shared connections, runs `body` with them, closes them. */
async function withPool<T>(url: string, body: (pool: NatsConnection[]) => Promise<T>): Promise<T> {
  const pool = await openMany(POOL, POOL, () => rawConnect(url));
  try {
    return await body(pool);
  } finally {
    await Promise.all(pool.map((nc) => nc.close().catch(() => {})));
  }
}

/** Ours: `n` replicas on the pool, a writer cache on a connection of its own. */
async function oursFanout(ctx: BenchContext, server: NatsServerHandle, n: number): Promise<number[]> {
  const prefix = ctx.newPrefix("fanout");
  const writer = await openReadyCache({ servers: server.url, prefix, hostId: "fanout-writer" });
  try {
    return await withPool(server.url, async (pool) => {
      const arrivals = new Arrivals();
      const replicas = await openMany<LatticeCache>(n, 20, async (i) => {
        const cache = await openReadyCache({ connection: pool[i % POOL], prefix, hostId: `fanout-${i}` });
        cache.onChange((event) => arrivals.arrived(event.key));
        return cache;
      });
      try {
        await sleep(1000);
        return await fanoutTimes(arrivals, n, ctx.sizes.fanoutSamples, (e) => writer.linkdefs.put(e.value));
      } finally {
        await Promise.all(replicas.map((c) => c.close().catch(() => {})));
      }
    });
  } finally {
    await writer.close();
  }
}

/** Raw: `n` kv.watch() watchers on the pool, kv.put of the same bytes on a connection of its own. */
async function rawFanout(ctx: BenchContext, server: NatsServerHandle, n: number): Promise<number[]> {
  const prefix = ctx.newPrefix("fanout");
  const writerNc = await rawConnect(server.url);
  try {
    const writer = await rawBucket(writerNc, prefix);
    return await withPool(server.url, async (pool) => {
      const arrivals = new Arrivals();
      const watches = await openMany(n, 20, async (i) => {
        const watch = await (await rawBucket(pool[i % POOL] as NatsConnection, prefix)).watch({
          include: "updates",
        });
        void (async () => {
          for await (const entry of watch) arrivals.arrived(entry.key);
        })();
        return watch;
      });
      try {
        await sleep(1000);
        return await fanoutTimes(arrivals, n, ctx.sizes.fanoutSamples, (e) => writer.put(e.key, e.bytes));
      } finally {
        for (const watch of watches) watch.stop();
      }
    });
  } finally {
    await writerNc.close();
  }
}

/** Runs the fan-out scenario on `server`. */
export async function scaleFanoutScenario(
  ctx: BenchContext,
  server: NatsServerHandle,
): Promise<BenchResult[]> {
  const { fanoutReplicas: n, fanoutSamples: samples } = ctx.sizes;
  ctx.progress(
    `scale.fanout: ${samples} writes until all ${n} replicas have each (${POOL} shared connections)`,
  );
  const ours = await oursFanout(ctx, server, n);
  ctx.progress(`scale.fanout: ${samples} raw kv.put until all ${n} raw kv.watch() watchers have each`);
  const raw = await rawFanout(ctx, server, n);
  const goals = {
    p50: { kind: "ratio-at-most", value: 1.5 },
    p99: { kind: "ratio-at-most", value: 2 },
  } as const;
  const notes = `${n} receivers on ${POOL} shared connections (JetStreamBackendOptions.connection), ${samples} samples`;
  const does = `raw kv.put until all ${n} raw kv.watch() watchers (${POOL} shared connections) have it`;
  return latencyRows("scale.fanout", ours, { baseline: { samples: raw, does } }, goals, notes);
}
