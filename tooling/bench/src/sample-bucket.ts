// A bucket full of sample link definitions: filling it fast, and a raw client's replay of it.
import { bucketName } from "@lattice-cache/jetstream";
import { jetstream } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { rawBucket } from "./clients.js";
import { throughput } from "./measure.js";
import { sampleEntry } from "./sample-data.js";

/**
 * Writes sample entries 0 … n-1 into the bucket of `prefix` (created with our layout if missing) as raw
 * JetStream publishes to `$KV.<bucket>.<key>` — what `kv.put` sends — with `inFlight` awaiting their acks.
 * Calls `progress(done)` after every `progressEvery` acknowledged entries. Returns the JSON bytes written.
 */
export async function fillBucket(
  nc: NatsConnection,
  prefix: string,
  n: number,
  options: { inFlight?: number; progressEvery?: number; progress?: (done: number) => void } = {},
): Promise<{ jsonBytes: number }> {
  await rawBucket(nc, prefix);
  const js = jetstream(nc);
  const subjectPrefix = `$KV.${bucketName(prefix)}.`;
  const every = options.progressEvery ?? Number.POSITIVE_INFINITY;
  let jsonBytes = 0;
  let done = 0;
  await throughput(
    async (i) => {
      const e = sampleEntry(i);
      jsonBytes += e.bytes.byteLength;
      await js.publish(subjectPrefix + e.key, e.bytes);
      if (++done % every === 0) options.progress?.(done);
    },
    { concurrency: options.inFlight ?? 256, durationMs: 60 * 60_000, maxOps: n },
  );
  return { jsonBytes };
}

/**
 * A raw `kv.watch()` replay of a bucket that is not empty and not being written: every current value is
 * passed to `visit` until the consumer has nothing pending (`delta` 0). Returns the entries seen and the time
 * from the watch request to the last one (ms).
 */
export async function rawReplay(
  kv: KV,
  visit: (entry: KvEntry) => void,
): Promise<{ entries: number; ms: number }> {
  const started = performance.now();
  const watch = await kv.watch();
  let entries = 0;
  for await (const entry of watch) {
    visit(entry);
    entries++;
    if (entry.delta === 0) break;
  }
  const ms = performance.now() - started;
  watch.stop();
  return { entries, ms };
}
