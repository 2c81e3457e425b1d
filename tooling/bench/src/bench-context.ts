// What every scenario gets: sizes for this run, servers started through the test harness, and helpers to
// open our caches and raw clients against them.
import type { LatticeCache } from "@lattice-cache/core";
import {
  type NatsServerHandle,
  type PostgresServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
} from "@lattice-cache/test-harness";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { openReadyCache, rawBucket, rawConnect } from "./clients.js";

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
  /** Idle hosts (and raw watchers) on one server in `scale.idle` (`--hosts N`). */
  readonly idleHosts: number;
  /** How long `scale.idle` measures the idle server, per side. */
  readonly idleWindowMs: number;
  /** Replicas (and raw watchers) a write fans out to in `scale.fanout`. */
  readonly fanoutReplicas: number;
  /** Samples of `scale.fanout`, per side. */
  readonly fanoutSamples: number;
  /** Entries of `scale.hydrate` (0 skips it). */
  readonly scaleHydrateEntries: number;
  /** Entries of the bucket `export.<n>` exports. */
  readonly exportEntries: number;
  /** Entries of the file `import.<n>` imports. */
  readonly importEntries: number;
}

/** Shared state of one benchmark run. */
export class BenchContext {
  private readonly closers: Array<() => Promise<unknown>> = [];
  private prefixCounter = 0;
  private postgresServer: Promise<PostgresServerHandle> | undefined;

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

  /** A raw nats.js connection (closed at the end), with the same settings as ours (see `rawConnect`). */
  async rawConnection(): Promise<NatsConnection> {
    const nc = await rawConnect(this.nats.url);
    this.closers.push(() => nc.close());
    return nc;
  }

  /** A raw KV handle on the same bucket our backend uses for `prefix`. */
  async rawKv(prefix: string, nc?: NatsConnection): Promise<KV> {
    return rawBucket(nc ?? (await this.rawConnection()), prefix);
  }

  /** One of our caches on the jetstream backend (its own connection), ready. */
  async cache(prefix: string, hostId: string): Promise<LatticeCache> {
    const cache = await openReadyCache({ servers: this.nats.url, prefix, hostId });
    this.closers.push(() => cache.close());
    return cache;
  }

  /** A PostgreSQL server on a free loopback port, started on first use (only the postgres scenario needs it). */
  postgres(): Promise<PostgresServerHandle> {
    this.postgresServer ??= startPostgresServer();
    return this.postgresServer;
  }

  /** Registers something to close at the end of the run. */
  onClose(fn: () => Promise<unknown>): void {
    this.closers.push(fn);
  }

  /** Closes every client, then the servers. */
  async dispose(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => {});
    const postgres = await this.postgresServer?.catch(() => undefined);
    await Promise.all([this.nats.dispose(), this.redis.dispose(), postgres?.dispose()]);
  }
}
