// What every scenario gets: sizes for this run, servers started through the test harness, and helpers to
// open our caches and raw clients against them.
import { LatticeCache } from "@lattice-cache/core";
import { bucketName, JetStreamBackend } from "@lattice-cache/jetstream";
import {
  type NatsServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/** Sizes of one run (`--quick` shrinks them). */
export interface BenchSizes {
  /** Time budget of one throughput measurement. */
  readonly durationMs: number;
  /** Entries in the hydrate / memory scenario. */
  readonly hydrateEntries: number;
  /** Samples of the propagation scenario. */
  readonly propagationSamples: number;
  /** Replicas in the propagation scenario. */
  readonly propagationReplicas: number;
  /** Broadcasts in the legacy bridge scenario. */
  readonly bridgeMessages: number;
}

/** Shared state of one benchmark run. */
export class BenchContext {
  private readonly closers: Array<() => Promise<unknown>> = [];
  private prefixCounter = 0;

  private constructor(
    readonly sizes: BenchSizes,
    readonly nats: NatsServerHandle,
    readonly redis: RedisServerHandle,
    readonly progress: (message: string) => void,
  ) {}

  /** Starts a file-storage JetStream server and a Redis server on free loopback ports. */
  static async start(sizes: BenchSizes, progress: (message: string) => void): Promise<BenchContext> {
    const [nats, redis] = await Promise.all([startNatsServer({ jetstream: true }), startRedisServer()]);
    return new BenchContext(sizes, nats, redis, progress);
  }

  /** A fresh lattice prefix, so scenarios never see each other's data. */
  newPrefix(label: string): string {
    this.prefixCounter += 1;
    return `bench_${label}_${this.prefixCounter}`;
  }

  /**
   * A raw nats.js connection (closed at the end). It gets `noAsyncTraces` like our backend's connection, so
   * the comparison measures our code, not a client setting.
   */
  async rawConnection(): Promise<NatsConnection> {
    const nc = await connect({ servers: this.nats.url, noAsyncTraces: true });
    this.closers.push(() => nc.close());
    return nc;
  }

  /** A raw KV handle on the same bucket our backend uses for `prefix`. */
  async rawKv(prefix: string, nc?: NatsConnection): Promise<KV> {
    const connection = nc ?? (await this.rawConnection());
    return new Kvm(connection).create(bucketName(prefix), { history: 1 });
  }

  /** One of our caches on the jetstream backend (its own connection), ready. */
  async cache(prefix: string, hostId: string): Promise<LatticeCache> {
    const backend = new JetStreamBackend({ servers: this.nats.url, prefix, hostId });
    const cache = await LatticeCache.open({ backend, hostId });
    this.closers.push(() => cache.close());
    await cache.ready(60_000);
    return cache;
  }

  /** Registers something to close at the end of the run. */
  onClose(fn: () => Promise<unknown>): void {
    this.closers.push(fn);
  }

  /** Closes every client, then the servers. */
  async dispose(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => {});
    await Promise.all([this.nats.dispose(), this.redis.dispose()]);
  }
}
