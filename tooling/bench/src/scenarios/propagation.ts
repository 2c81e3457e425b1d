// propagate.p50 / .p99: a put on host A until the change event on host B, with N replicas live, versus the
// hand-rolled peer — N raw kv.watch() views (each its own connection, every entry parsed into a Map), one of
// them writing — and versus bare: one raw kv.put connection and one raw watcher that parses nothing.
import type { LatticeCache } from "@lattice-cache/core";
import type { KV } from "@nats-io/kv";
import type { BenchContext } from "../bench-context.js";
import { openRawView, type RawView, rawLinkdefPut } from "../raw-peer.js";
import { type BenchResult, latencyRows } from "../result.js";
import { sampleEntry } from "../sample-data.js";

const WARMUP = 50;

/** Times `samples` sequential writes until `seen(key)` resolves, after WARMUP untimed ones (ms each). */
async function timeWrites(
  samples: number,
  write: (i: number) => Promise<unknown>,
  seen: (key: string) => Promise<void>,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples + WARMUP; i++) {
    const arrived = seen(sampleEntry(i).key);
    const t0 = performance.now();
    await write(i);
    await arrived;
    if (i >= WARMUP) times.push(performance.now() - t0);
  }
  return times;
}

/** Runs the propagation scenario. */
export async function propagationScenario(ctx: BenchContext): Promise<BenchResult[]> {
  const { propagationSamples: samples, propagationReplicas: replicas } = ctx.sizes;
  ctx.progress(
    `propagate: ${samples} sequential puts, ${replicas} replicas vs ${replicas} raw views vs 1 raw watch`,
  );

  // Ours: host A writes, host B (one of `replicas`) reports the change event.
  const prefix = ctx.newPrefix("propagate");
  const hosts: LatticeCache[] = [];
  for (let i = 0; i < replicas; i++) hosts.push(await ctx.cache(prefix, `host-${i}`));
  const [a, b] = hosts as [LatticeCache, LatticeCache];
  let pending: { key: string; resolve: () => void } | undefined;
  b.onChange((event) => {
    if (pending && event.key === pending.key) pending.resolve();
  });
  const ours = await timeWrites(
    samples,
    (i) => a.linkdefs.put(sampleEntry(i).value),
    (key) => new Promise<void>((resolve) => (pending = { key, resolve })),
  );
  for (const host of hosts) await host.close();

  // Peer: `replicas` raw views; view 0's connection writes, view 1 is timed.
  const peerPrefix = ctx.newPrefix("propagate");
  const views: RawView[] = [];
  const kvs: KV[] = [];
  for (let i = 0; i < replicas; i++) {
    const kv = await ctx.rawKv(peerPrefix);
    kvs.push(kv);
    views.push(await openRawView(kv));
  }
  const peer = await timeWrites(
    samples,
    (i) => rawLinkdefPut(kvs[0]!, sampleEntry(i).value),
    (key) => views[1]!.next(key),
  );
  for (const view of views) view.stop();

  // Bare: kv.put on one connection, a watch that parses nothing on another.
  const barePrefix = ctx.newPrefix("propagate");
  const writer = await ctx.rawKv(barePrefix);
  const watch = await (await ctx.rawKv(barePrefix)).watch({ include: "updates" });
  let rawPending: { key: string; resolve: () => void } | undefined;
  void (async () => {
    for await (const entry of watch) if (rawPending && entry.key === rawPending.key) rawPending.resolve();
  })();
  await new Promise((r) => setTimeout(r, 200));
  const bare = await timeWrites(
    samples,
    (i) => writer.put(sampleEntry(i).key, sampleEntry(i).bytes),
    (key) => new Promise<void>((resolve) => (rawPending = { key, resolve })),
  );
  watch.stop();

  const goals = {
    p50: { kind: "ratio-at-most", value: 1.2 },
    p99: { kind: "ratio-at-most", value: 1.5 },
  } as const;
  return latencyRows(
    "propagate",
    ours,
    {
      baseline: {
        samples: peer,
        does: `${replicas} raw kv.watch() views (own connections) parsing each entry into a Map, one writing with kv.put`,
      },
      bare: {
        samples: bare,
        does: "kv.put on one connection, one raw kv.watch() on another, nothing parsed",
      },
    },
    goals,
    `${replicas} replicas, ${samples} samples`,
  );
}
