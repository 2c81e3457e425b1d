// Test fixtures shared by this package's tests: unique prefixes, a recording logger, raw KV access the
// way a wasmCloud host writes, caches on the backend, and a feed sink that records. Not part of the build.
import { randomBytes } from "node:crypto";
import { LatticeCache as Cache, type LatticeCache, type LatticeCacheOptions } from "@lattice-cache/core";
import type { BackendEntry, BackendHead, FeedSink, Logger } from "@lattice-cache/core/backend";
import { waitFor } from "@lattice-cache/test-harness";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { JetStreamBackend } from "./jetstream-backend.js";
import type { JetStreamBackendOptions } from "./options.js";

/** A lattice prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  return `${label}${randomBytes(4).toString("hex")}`;
}

/** One recorded log line. */
export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly msg: string;
  readonly obj: object;
  /** When it was logged (ms epoch). */
  readonly at: number;
}

/** A logger that keeps what it is told (and prints warnings and errors when LATTICE_TEST_LOG is set). */
export function recordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log =
    (level: LogLine["level"]) =>
    (obj: object, msg = "") => {
      lines.push({ level, msg, obj, at: Date.now() });
      if (process.env.LATTICE_TEST_LOG && level !== "debug") console.log(level, msg, obj);
    };
  return { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A raw NATS connection with a JetStream manager: the "other host" or the admin of a test. */
export interface RawClient {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** The bucket through the plain nats.js KV API, as a wasmCloud host would use it. */
  kv(bucket: string): Promise<KV>;
  close(): Promise<void>;
}

/** Connects a raw client (no lattice-cache code involved). */
export async function rawClient(
  servers: string | string[],
  jsDomain?: string,
  auth: { user?: string; pass?: string } = {},
): Promise<RawClient> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 500, ...auth });
  const jsm = await jetstreamManager(nc, { checkAPI: false, ...(jsDomain ? { domain: jsDomain } : {}) });
  return {
    nc,
    jsm,
    kv: (bucket) => new Kvm(jsm.jetstream()).open(bucket),
    close: () => nc.close(),
  };
}

/** Opens a cache on a new backend and waits for its initial sync. */
export async function openCache(
  backendOptions: JetStreamBackendOptions,
  cacheOptions: Omit<LatticeCacheOptions, "backend"> = {},
): Promise<{ cache: LatticeCache; backend: JetStreamBackend }> {
  const backend = new JetStreamBackend(backendOptions);
  const cache = await Cache.open({ backend, ...cacheOptions });
  await cache.ready(30_000);
  return { cache, backend };
}

/** Waits until `cache` has applied `revision`. */
export async function caughtUp(cache: LatticeCache, revision: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => cache.status().revision >= revision, { timeoutMs, what: `revision ${revision}` });
}

/** Milliseconds since `start`. */
export function since(start: number): number {
  return Date.now() - start;
}

/** A feed sink that records every call, for tests that read what a feed delivered. */
export interface RecordingSink extends FeedSink {
  synced: FeedSink["synced"];
  readonly entries: BackendEntry[];
  readonly heads: BackendHead[];
  readonly gaps: string[];
  readonly connections: boolean[];
}

export function recordingSink(): RecordingSink {
  const sink: RecordingSink = {
    entries: [],
    heads: [],
    gaps: [],
    connections: [],
    entry: (e) => sink.entries.push(e),
    synced: (h) => sink.heads.push(h),
    gap: (r) => sink.gaps.push(r),
    connection: (up) => sink.connections.push(up),
  };
  return sink;
}
