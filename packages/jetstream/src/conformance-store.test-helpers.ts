// The jetstream target of the conformance suite: one bucket (fresh prefix) per store on a shared server,
// a fault proxy of its own in front of the server for every backend the store connects (so one backend's
// connection can be cut while the others stay up), and a backdoor of raw nats.js calls on an admin
// connection that bypasses the proxies.
//
// No `checkpoint`: restoring a stream under the same epoch (creation time) takes a server restart on a
// swapped store directory, which a shared server cannot do per test. history-rewrite.test.ts covers that
// rewrite (rule 9) on a server of its own.
// Rules cited here: docs/semantics.md#rule-9.
import type { LatticeBackend } from "@lattice-cache/core/backend";
import {
  type FaultMode,
  type FaultProxyHandle,
  type NatsServerHandle,
  startFaultProxy,
  waitFor,
} from "@lattice-cache/test-harness";
import { jetstream } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { HEADERS, isTombstone } from "./kv-message.js";
import { rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { type BucketSettings, JETSTREAM_DEFAULTS } from "./options.js";
import { StallableJetStreamBackend } from "./stallable-backend.test-helpers.js";

/** Raw stored entry, as the suite's backdoor returns it. */
export interface RawEntry {
  readonly value: Uint8Array | null;
  readonly revision: number;
}

/** The store interface of `@lattice-cache/conformance` (kept structurally identical). */
export interface JetStreamConformanceStore {
  connect(): Promise<LatticeBackend>;
  readonly backdoor: {
    readRaw(key: string): Promise<RawEntry | undefined>;
    loseHistory(): Promise<void>;
    storeRaw(key: string, value: Uint8Array | null): Promise<number>;
    interruptFeed(backend: LatticeBackend, cut: boolean): Promise<void>;
    disconnect(): Promise<void>;
    reconnect(): Promise<void>;
    blackhole(): Promise<void>;
    stallFeed(backend: LatticeBackend, stalled: boolean): Promise<void>;
  };
  dispose(): Promise<void>;
  /** The store's bucket prefix. */
  readonly prefix: string;
  /** The fault proxy a backend made by `connect()` reaches the server through (each has its own). */
  proxyOf(backend: LatticeBackend): FaultProxyHandle;
}

/** Tuning for the backends a store makes. */
export interface StoreBackendTuning {
  readonly writeDeadlineMs?: number;
  readonly heartbeatMs?: number;
  /** Settings of the bucket the first backend creates. Default: the backend's defaults (history 1). */
  readonly bucket?: BucketSettings;
}

/** How long a backend may take to notice a cut connection, and to connect again after it is restored. */
const NOTICE_CUT_MS = 15_000;
const RECONNECT_MS = 20_000;

/** A fresh store: a new prefix on `server`; every backend it connects gets a fault proxy of its own. */
export async function newJetStreamStore(
  server: NatsServerHandle,
  tuning: StoreBackendTuning = {},
): Promise<JetStreamConformanceStore> {
  const prefix = uniquePrefix("conf");
  const layout = new BucketLayout(prefix);
  const admin = await rawClient(server.url);
  const proxies = new Map<StallableJetStreamBackend, FaultProxyHandle>();
  /** Backends whose connection `interruptFeed` cut: they stay cut whatever the store-wide mode. */
  const cut = new Set<StallableJetStreamBackend>();
  /** The store-wide mode (`disconnect`, `blackhole`, `reconnect`), applied to backends connected later too. */
  let storeMode: FaultMode = "pass";
  let partitioned: StallableJetStreamBackend[] = [];
  let hosts = 0;

  const ours = (backend: LatticeBackend, what: string): StallableJetStreamBackend => {
    if (!(backend instanceof StallableJetStreamBackend) || !proxies.has(backend)) {
      throw new Error(`${what} needs a JetStreamBackend made by this store's connect()`);
    }
    return backend;
  };
  const proxyOf = (backend: LatticeBackend): FaultProxyHandle =>
    proxies.get(ours(backend, "proxyOf")) as FaultProxyHandle;
  /** Switches every proxy (but those of cut backends) to `mode`, synchronously. */
  const setStoreMode = (mode: FaultMode) => {
    storeMode = mode;
    for (const [backend, proxy] of proxies) if (!cut.has(backend)) proxy.setMode(mode);
  };
  const reconnected = (backends: readonly StallableJetStreamBackend[]) =>
    waitFor(() => backends.every((b) => b.connected || !b.isOpen || cut.has(b)), {
      timeoutMs: RECONNECT_MS,
      what: "every backend to reconnect",
    });

  return {
    prefix,
    proxyOf,
    async connect() {
      hosts += 1;
      const proxy = await startFaultProxy({ target: { port: server.port } });
      if (storeMode !== "pass") proxy.setMode(storeMode);
      const backend = new StallableJetStreamBackend({
        servers: proxy.url("nats"),
        prefix,
        hostId: `${prefix}-host${hosts}`,
        // Bounded under a blackhole too: writes by their deadline, head() and the feeds' requests by their
        // request timeouts, the connection by three missed pings.
        writeDeadlineMs: tuning.writeDeadlineMs ?? 5_000,
        heartbeatMs: tuning.heartbeatMs ?? 1_000,
        pingIntervalMs: 2_000,
        ...(tuning.bucket ? { bucket: tuning.bucket } : {}),
      });
      proxies.set(backend, proxy);
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
      async storeRaw(key, value) {
        // A foreign writer: plain nats.js KV calls, no Lattice-Origin, no write id, no validation.
        if (value !== null) {
          const kv = await admin.kv(layout.bucket);
          return kv.put(key, value);
        }
        // `kv.delete` publishes this very marker but does not say its revision.
        const marker = headers();
        marker.set(HEADERS.operation, "DEL");
        const ack = await jetstream(admin.nc).publish(layout.keySubject(key), new Uint8Array(), {
          headers: marker,
        });
        return ack.seq;
      },
      async interruptFeed(backend, cutNow) {
        const ourBackend = ours(backend, "interruptFeed");
        // Before the first await, so synchronous for the caller: a feed sink calls this mid-delivery.
        cut[cutNow ? "add" : "delete"](ourBackend);
        proxyOf(ourBackend).setMode(cutNow ? "drop" : storeMode);
        if (cutNow) {
          await waitFor(() => !ourBackend.connected || !ourBackend.isOpen, {
            timeoutMs: NOTICE_CUT_MS,
            what: "the backend to notice its cut connection",
          });
        } else if (storeMode === "pass") {
          await reconnected([ourBackend]);
        }
      },
      async disconnect() {
        partitioned = [...proxies.keys()].filter((b) => b.isOpen);
        setStoreMode("drop");
        await waitFor(() => partitioned.every((b) => !b.connected || cut.has(b)), {
          timeoutMs: NOTICE_CUT_MS,
          what: "every backend to notice the partition",
        });
      },
      async blackhole() {
        // Nothing to wait for: a blackhole makes no noise; the backends' own deadlines must notice it.
        partitioned = [...proxies.keys()].filter((b) => b.isOpen);
        setStoreMode("blackhole");
      },
      async reconnect() {
        setStoreMode("pass");
        await reconnected(partitioned);
      },
      async stallFeed(backend, stalled) {
        // The feed keeps running (heartbeats flow); only its live entries stop reaching the replica.
        ours(backend, "stallFeed").feedStall.stalled = stalled;
      },
    },
    async dispose() {
      await Promise.allSettled([...proxies.keys()].map((b) => b.close()));
      await admin.jsm.streams.delete(layout.stream).catch(() => {});
      await admin.close();
      await Promise.allSettled([...proxies.values()].map((p) => p.close()));
    },
  };
}
