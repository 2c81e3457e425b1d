// Opening our caches and raw nats.js clients against a server: one place for the settings both sides share.
// Rules cited here: docs/semantics.md#rule-8.
import { LatticeCache } from "@lattice-cache/core";
import { bucketName, JetStreamBackend, type JetStreamBackendOptions } from "@lattice-cache/jetstream";
import { jetstream } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/**
 * One of our caches on the jetstream backend, opened and ready (rule 8). The caller closes it; if it does not
 * become ready within `readyTimeoutMs`, it is closed here and the error is thrown.
 */
export async function openReadyCache(
  options: JetStreamBackendOptions & { readonly hostId: string },
  readyTimeoutMs = 60_000,
): Promise<LatticeCache> {
  const cache = await LatticeCache.open({ backend: new JetStreamBackend(options), hostId: options.hostId });
  try {
    await cache.ready(readyTimeoutMs);
  } catch (error) {
    await cache.close().catch(() => {});
    throw error;
  }
  return cache;
}

/**
 * A raw nats.js connection. It gets `noAsyncTraces` like our backend's connection, so comparisons measure
 * our code, not a client setting.
 */
export function rawConnect(servers: string): Promise<NatsConnection> {
  return connect({ servers, noAsyncTraces: true });
}

/** Runs `use` on a raw connection to `servers` (see `rawConnect`), closed afterwards. */
export async function withRawConnection<T>(
  servers: string,
  use: (nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const nc = await rawConnect(servers);
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
}

/**
 * A raw KV handle on the bucket our backend uses for `prefix` (created with the same layout if missing).
 * `apiTimeoutMs` raises nats.js's JetStream API timeout (default 5 s), e.g. for watching a huge bucket.
 */
export function rawBucket(nc: NatsConnection, prefix: string, apiTimeoutMs?: number): Promise<KV> {
  const client = apiTimeoutMs === undefined ? nc : jetstream(nc, { timeout: apiTimeoutMs });
  return new Kvm(client).create(bucketName(prefix), { history: 1 });
}

/** Calls `open(i)` for i = 0 … count-1 with at most `concurrency` in flight; returns the results in order. */
export async function openMany<T>(
  count: number,
  concurrency: number,
  open: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const i = next++;
      results[i] = await open(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
