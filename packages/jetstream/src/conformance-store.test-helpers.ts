// The jetstream target of the conformance suite: one bucket (fresh prefix) per store on a shared server,
// a fault proxy in front of the server for partitions, and a backdoor that reads raw KV messages.
import type { LatticeBackend } from "@lattice-cache/core";
import {
  type FaultProxyHandle,
  type NatsServerHandle,
  startFaultProxy,
  waitFor,
} from "@lattice-cache/test-harness";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { isTombstone } from "./kv-message.js";
import { rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { type BucketSettings, JETSTREAM_DEFAULTS } from "./options.js";

/** Raw stored entry, as the suite's backdoor returns it. */
export interface RawEntry {
  readonly value: Uint8Array | null;
  readonly revision: number;
}

/** The store interface of `@lattice-cache/conformance` (kept structurally identical). */
export interface JetStreamConformanceStore {
  connect(): LatticeBackend;
  readonly backdoor: {
    readRaw(key: string): Promise<RawEntry | undefined>;
    loseHistory(): Promise<void>;
    disconnect(): Promise<void>;
    reconnect(): Promise<void>;
    stallFeed(backend: LatticeBackend, stalled: boolean): Promise<void>;
  };
  dispose(): Promise<void>;
  /** The store's bucket prefix. */
  readonly prefix: string;
  /** The proxy every backend of this store connects through. */
  readonly proxy: FaultProxyHandle;
}

/** Tuning for the backends a store makes. */
export interface StoreBackendTuning {
  readonly writeDeadlineMs?: number;
  readonly heartbeatMs?: number;
  /** Settings of the bucket the first backend creates. Default: the backend's defaults (history 1). */
  readonly bucket?: BucketSettings;
}

/** A fresh store: a new prefix on `server`, reached through its own fault proxy. */
export async function newJetStreamStore(
  server: NatsServerHandle,
  tuning: StoreBackendTuning = {},
): Promise<JetStreamConformanceStore> {
  const prefix = uniquePrefix("conf");
  const layout = new BucketLayout(prefix);
  const proxy = await startFaultProxy({ target: { port: server.port } });
  const admin = await rawClient(server.url);
  const backends: JetStreamBackend[] = [];
  let hosts = 0;
  let partitioned: JetStreamBackend[] = [];

  return {
    prefix,
    proxy,
    connect() {
      hosts += 1;
      const backend = new JetStreamBackend({
        servers: proxy.url("nats"),
        prefix,
        hostId: `${prefix}-host${hosts}`,
        writeDeadlineMs: tuning.writeDeadlineMs ?? 5_000,
        heartbeatMs: tuning.heartbeatMs ?? 1_000,
        pingIntervalMs: 2_000,
        ...(tuning.bucket ? { bucket: tuning.bucket } : {}),
      });
      backends.push(backend);
      return backend;
    },
    backdoor: {
      async readRaw(key) {
        const stored = await admin.jsm.direct.getMessage(layout.stream, {
          last_by_subj: layout.keySubject(key),
        });
        if (!stored) return undefined;
        return { value: isTombstone(stored.header) ? null : stored.data, revision: stored.seq };
      },
      async loseHistory() {
        // What an operator does with `nats kv del` + a host creating the bucket again.
        await admin.jsm.streams.delete(layout.stream);
        await admin.jsm.streams.add(
          desiredStreamConfig(layout, { ...JETSTREAM_DEFAULTS.bucket, ...tuning.bucket }),
        );
      },
      async disconnect() {
        partitioned = backends.filter((b) => b.isOpen);
        proxy.setMode("drop");
        await waitFor(() => partitioned.every((b) => !b.connected), {
          timeoutMs: 15_000,
          what: "every backend to notice the partition",
        });
      },
      async reconnect() {
        proxy.setMode("pass");
        await waitFor(() => partitioned.every((b) => b.connected || !b.isOpen), {
          timeoutMs: 20_000,
          what: "every backend to reconnect",
        });
      },
      async stallFeed(backend, stalled) {
        if (!(backend instanceof JetStreamBackend)) throw new Error("stallFeed needs a JetStreamBackend");
        backend.stallFeedsForTesting(stalled);
      },
    },
    async dispose() {
      await Promise.allSettled(backends.map((b) => b.close()));
      await admin.jsm.streams.delete(layout.stream).catch(() => {});
      await admin.close();
      await proxy.close();
    },
  };
}
