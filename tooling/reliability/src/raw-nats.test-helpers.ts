// Plain nats.js, no lattice-cache code: the admin/observer connection of a scenario, marker writes that
// retry through elections, and a raw `kv.watch()` to compare our feed with.
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type RawPut, writeMarkerWith } from "./marker-write.test-helpers.js";
import type { Workload } from "./workload.test-helpers.js";

/** A raw client connection. */
export interface RawNats {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Binds to an existing bucket through the plain KV API. */
  kv(bucket: string): Promise<KV>;
  close(): Promise<void>;
}

/**
 * Connects like a careful plain nats.js host would: reconnects forever (the client's default of 10 attempts
 * would end the comparison early), everything else at nats.js defaults.
 */
export async function rawNats(
  servers: string | string[],
  extra: { user?: string; pass?: string } = {},
): Promise<RawNats> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, ...extra });
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  return {
    nc,
    jsm,
    kv: (bucket) => new Kvm(jetstream(nc, { checkAPI: false })).open(bucket),
    close: () => nc.close().catch(() => {}),
  };
}

/**
 * Writes a fresh marker claim through `kv` (retrying for up to `timeoutMs` while the bucket has no leader)
 * and records it in `workload` as acknowledged. Resolves with the revision and when it was acknowledged.
 */
export function writeMarker(
  kv: KV,
  workload: Workload,
  timeoutMs = 60_000,
): Promise<{ revision: number; ackedAt: number }> {
  return writeMarkerWith(kvPut(kv), workload, timeoutMs);
}

/** A put into `kv` for {@link writeMarkerWith}: each try waits at most 2 s for the server's answer. */
export function kvPut(kv: KV): RawPut {
  return (key, bytes) => kv.put(key, bytes, { timeout: 2_000 });
}

/** A raw `kv.watch()` that remembers the highest revision it has delivered. */
export class RawWatcher {
  /** Highest revision seen. */
  lastRevision = 0;
  private stop: (() => void) | undefined;

  /** @param label - which node the watcher's connection is on, for the report */
  constructor(readonly label: string) {}

  /** Starts watching `kv` (history of every key, then live). */
  async start(kv: KV): Promise<void> {
    const iterator = await kv.watch();
    this.stop = () => iterator.stop();
    void (async () => {
      for await (const entry of iterator) {
        if (entry.revision > this.lastRevision) this.lastRevision = entry.revision;
      }
    })().catch(() => {});
  }

  /** Stops the watch. */
  close(): void {
    this.stop?.();
  }
}
