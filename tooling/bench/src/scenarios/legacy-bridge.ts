// legacy.bridge: generation-1 broadcasts imported per second by the migration bridge (each one an ordered
// write on the jetstream backend) versus a raw core NATS subscription receiving the same messages. Report only.
import { LegacyBridge, legacySubjects } from "@lattice-cache/legacy";
import { encode } from "@msgpack/msgpack";
import type { NatsConnection } from "@nats-io/transport-node";
import type { BenchContext } from "../bench-context.js";
import { type BenchResult, judge } from "../result.js";
import { sampleLinkdef } from "../sample-data.js";

/** The i-th broadcast exactly as an old host sends it: MessagePack, no `id`. */
function broadcast(i: number): Uint8Array {
  const { id: _id, ...wire } = sampleLinkdef(i);
  return encode(wire);
}

async function publishAll(
  nc: NatsConnection,
  subject: string,
  messages: readonly Uint8Array[],
): Promise<void> {
  for (let i = 0; i < messages.length; i++) {
    nc.publish(subject, messages[i] as Uint8Array);
    // Flush in batches so a fast publisher does not overrun the subscriber's pending limits.
    if (i % 500 === 499) await nc.flush();
  }
  await nc.flush();
}

/** Polls `count()` until it reaches `target` or stops moving for `idleMs`; returns the count and the elapsed time. */
async function until(
  count: () => number,
  target: number,
  idleMs: number,
): Promise<{ reached: number; seconds: number }> {
  const started = performance.now();
  let last = -1;
  let lastMove = started;
  for (;;) {
    const now = count();
    if (now !== last) {
      last = now;
      lastMove = performance.now();
    }
    if (now >= target || performance.now() - lastMove > idleMs) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { reached: last, seconds: (lastMove - started) / 1000 };
}

/** Runs the bridge scenario. */
export async function legacyBridgeScenario(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.sizes.bridgeMessages;
  ctx.progress(
    `legacy.bridge: ${n.toLocaleString("en-US")} broadcasts through the bridge vs a raw subscription`,
  );
  const messages = Array.from({ length: n }, (_, i) => broadcast(i));

  const rawPrefix = ctx.newPrefix("legacy");
  const subject = legacySubjects(rawPrefix).of("linkdefs", "put");
  const subscriber = await ctx.rawConnection();
  let received = 0;
  subscriber.subscribe(subject, {
    callback: () => {
      received++;
    },
  });
  await subscriber.flush();
  const publisher = await ctx.rawConnection();
  const rawStart = performance.now();
  await publishAll(publisher, subject, messages);
  const raw = await until(() => received, n, 2000);
  const rawRate = raw.reached / ((performance.now() - rawStart) / 1000 - (raw.reached >= n ? 0 : 2));

  const prefix = ctx.newPrefix("legacy");
  const durable = await ctx.cache(prefix, "bridge-durable");
  const bridge = new LegacyBridge({
    legacy: { servers: ctx.nats.url, prefix },
    durable,
    bridgeId: "bench-bridge",
  });
  await bridge.start();
  ctx.onClose(() => bridge.stop());
  const imported = () => {
    const c = bridge.status().counters;
    return c.imported + c.skippedUnchanged + c.superseded;
  };
  const start = performance.now();
  await publishAll(publisher, legacySubjects(prefix).of("linkdefs", "put"), messages);
  const ours = await until(imported, n, 5000);
  const seconds = ours.reached >= n ? (performance.now() - start) / 1000 : ours.seconds;
  const oursRate = ours.reached / seconds;
  const notes = `${ours.reached}/${n} imported, ${durable.linkdefs.size} in the durable view; raw received ${raw.reached}/${n}`;
  return [
    judge({
      name: "legacy.bridge",
      ours: oursRate,
      baseline: { value: rawRate, does: "a raw subscription counting the broadcasts" },
      unit: "msgs/s",
      goal: { kind: "report" },
      notes,
    }),
  ];
}
