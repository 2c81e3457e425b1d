// The shared conformance suite (packages/conformance/README.md) against PostgresBackend on a real PostgreSQL
// that the test harness starts. Every backend a store connects reaches the server through a fault proxy of
// its own, so the suite can cut one connection (interruptFeed), partition them all (disconnect/reconnect) or
// make the network silent (blackhole); the backdoor reads and damages the lattice's schema beside the
// backend (RawPostgresLattice): readRaw, loseHistory (the schema dropped), checkpoint (a backup restored
// under the same epoch), storeRaw (a foreign writer). Run it after a build:
//   pnpm turbo run build --filter @lattice-cache/postgres... && pnpm --filter @lattice-cache/postgres test
import {
  type ConformanceBackdoor,
  type ConformanceStore,
  type ConformanceTarget,
  runConformanceSuite,
} from "@lattice-cache/conformance";
import type { LatticeBackend } from "@lattice-cache/core";
import {
  disposeAll,
  type FaultMode,
  type FaultProxyHandle,
  type PostgresServerHandle,
  startFaultProxy,
  startPostgresServer,
} from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { PostgresBackend } from "./postgres-backend.js";
import { TEST_TUNING, uniquePrefix, urlThrough } from "./postgres-test-support.test-helpers.js";
import { RawPostgresLattice } from "./raw-lattice.js";

afterAll(() => disposeAll());

/** The PostgreSQL server every store of this file lives on, started once, on first use. */
let server: Promise<PostgresServerHandle> | undefined;

const target: ConformanceTarget = {
  name: "postgres",
  async newStore(): Promise<ConformanceStore> {
    server ??= startPostgresServer();
    const postgres = await server;
    const prefix = uniquePrefix("conformance");
    const proxies = new StoreProxies(postgres.port);
    const raw = new RawPostgresLattice(postgres.url, prefix);
    return {
      // A new, unopened backend (one host) through a fault proxy of its own.
      connect: () =>
        proxies.connect(
          (proxy) => new PostgresBackend({ url: urlThrough(postgres.url, proxy), prefix, ...TEST_TUNING }),
        ),
      backdoor: {
        // What the store really holds, read beside the backend under test (never through it nor a proxy).
        readRaw: async (key) => {
          const stored = await raw.readRaw(key);
          return stored && { value: stored.value, revision: stored.revision };
        },
        loseHistory: () => raw.loseHistory(),
        checkpoint: () => raw.checkpoint(),
        storeRaw: (key, value) => raw.storeRaw(key, value),
        ...faultBackdoor(proxies),
      },
      dispose: async () => {
        await proxies.close();
        await raw.loseHistory();
        await raw.close();
      },
    };
  },
};

/** One backend's fault proxy, and whether that backend is cut off. */
interface Link {
  readonly proxy: FaultProxyHandle;
  cut: boolean;
}

/**
 * The fault proxies of one store, one per connected backend: the store's partition (`drop`, `blackhole`)
 * applies to all of them, a backend's cut (`drop`) to its own only.
 */
class StoreProxies {
  private partition: FaultMode = "pass";
  private readonly links = new Map<LatticeBackend, Link>();

  constructor(private readonly port: number) {}

  /** A new proxy for the backend `make` returns, in the store's current partition. */
  async connect(make: (proxy: FaultProxyHandle) => LatticeBackend): Promise<LatticeBackend> {
    const proxy = await startFaultProxy({ target: { port: this.port } });
    const backend = make(proxy);
    const link = { proxy, cut: false };
    this.links.set(backend, link);
    this.apply(link);
    return backend;
  }

  /** Cuts or restores one backend's connection, synchronously. */
  interrupt(backend: LatticeBackend, cut: boolean): void {
    const link = this.links.get(backend);
    if (link === undefined) throw new Error("interruptFeed needs a backend made by this store's connect()");
    link.cut = cut;
    this.apply(link);
  }

  /**
   * Partitions every backend (`drop`, `blackhole`) or heals (`pass`). Healing a blackhole drops its
   * connections (as the clients' own timeouts would have) rather than deliver the swallowed bytes late.
   */
  setPartition(mode: FaultMode): void {
    for (const { proxy } of this.links.values()) {
      if (mode === "pass" && proxy.mode === "blackhole") proxy.setMode("drop");
    }
    this.partition = mode;
    for (const link of this.links.values()) this.apply(link);
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map(({ proxy }) => proxy.close()));
  }

  private apply(link: Link): void {
    const mode = this.partition !== "pass" ? this.partition : link.cut ? "drop" : "pass";
    if (link.proxy.mode !== mode) link.proxy.setMode(mode);
  }
}

/** The fault switches of a store whose backends connect through proxies. */
function faultBackdoor(
  proxies: StoreProxies,
): Pick<ConformanceBackdoor, "interruptFeed" | "disconnect" | "blackhole" | "reconnect"> {
  return {
    // Synchronous up to the returned promise: a feed sink may call it mid-delivery.
    interruptFeed: async (backend, cut) => proxies.interrupt(backend, cut),
    disconnect: async () => proxies.setPartition("drop"),
    blackhole: async () => proxies.setPartition("blackhole"),
    reconnect: async () => proxies.setPartition("pass"),
  };
}

runConformanceSuite({ describe, it }, target);
