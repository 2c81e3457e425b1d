// The shared conformance suite (packages/conformance/README.md) against PostgresBackend on a real postgres
// server. Every backend a store connects reaches the server through a fault proxy of its own, so the suite
// can cut one connection (interruptFeed), partition them all (disconnect/reconnect) or make the network
// silent (blackhole). Until the parts it needs are written it fails, each test with what to write next
// ("not implemented: …"). Run it after a build:
//   pnpm turbo run build --filter @lattice-cache/postgres... && pnpm --filter @lattice-cache/postgres test
import { randomBytes } from "node:crypto";
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
  type ManagedServer,
  startFaultProxy,
} from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { PostgresBackend } from "./postgres-backend.js";

/** Short feed waits, so tests notice a lost history quickly. */
const TEST_TUNING = { feedWaitMs: 250 } as const;

afterAll(() => disposeAll());

/**
 * The postgres server every store of this file lives on, started once, on first use: the suite's probe makes
 * its first store while tests are collected. Start it through the test harness, which gives it a free
 * loopback port and a temp dir of its own, waits until it is ready, stops it after this file and kills it if
 * the test process dies (tooling/test-harness/README.md, "Other servers"):
 *
 *   import { startManagedServer } from "@lattice-cache/test-harness";
 *
 *   return startManagedServer({
 *     name: "postgres",
 *     command: "postgres-server", // looked up on PATH and in the sbin dirs, or an absolute path
 *     args: ({ port, dir }) => ["--listen", `127.0.0.1:${port}`, "--data-dir", dir],
 *     ready: /ready to accept connections/, // or ({ port }) => a probe that resolves true once it serves
 *     scheme: "postgres", // server.url is postgres://127.0.0.1:<port>
 *   });
 */
async function startPostgresServer(): Promise<ManagedServer> {
  throw new Error(
    "not implemented: start the postgres server in startPostgresServer() of src/conformance.test.ts with " +
      "startManagedServer, as the comment above it shows (see tooling/test-harness/README.md#other-servers)",
  );
}

let server: Promise<ManagedServer> | undefined;

/** A lattice prefix no other store of the run uses: each store is a fresh, empty lattice. */
function uniquePrefix(): string {
  return `conformance-${randomBytes(5).toString("hex")}`;
}

const target: ConformanceTarget = {
  name: "postgres",
  async newStore(): Promise<ConformanceStore> {
    server ??= startPostgresServer();
    const { port } = await server;
    const prefix = uniquePrefix();
    const proxies = new StoreProxies(port);
    return {
      // A new, unopened backend (one host) through a fault proxy of its own.
      connect: () =>
        proxies.connect(
          (proxy) => new PostgresBackend({ url: proxy.url("postgres"), prefix, ...TEST_TUNING }),
        ),
      backdoor: {
        // What the store really holds, read beside the backend under test (never through it nor a proxy), so
        // that a backend cannot pass by echoing its own writes. More hooks turn on more tests when the store
        // can do them — loseHistory, checkpoint, storeRaw, stallFeed: packages/conformance/README.md.
        readRaw: async (key) => {
          throw new Error(
            `not implemented: the backdoor's readRaw() in src/conformance.test.ts: read what lattice ${prefix} ` +
              `stores under ${key} through a connection of the test's own to the server — the bytes and the ` +
              "revision, value null for a tombstone, undefined when nothing is stored (see " +
              "packages/conformance/README.md#what-the-backdoor-is-for)",
          );
        },
        ...faultBackdoor(proxies),
      },
      // Each store is a prefix of its own on a server that is thrown away after the run; delete the
      // prefix's entries here once the backdoor has a connection, so long runs stay small.
      dispose: () => proxies.close(),
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
