// The shared conformance suite (packages/conformance/README.md) against PostgresBackend on a real PostgreSQL
// that the test harness starts. Every backend a store connects reaches the server through a fault proxy of
// its own, so the suite can cut one connection (interruptFeed), partition them all (disconnect/reconnect) or
// make the network silent (blackhole); the backdoor reads and damages the lattice's schema beside the
// backend (RawPostgresLattice): readRaw, loseHistory (the schema dropped), checkpoint (a backup restored
// under the same epoch), storeRaw (a foreign writer). Run it after a build:
//   pnpm turbo run build --filter @lattice-cache/postgres... && pnpm --filter @lattice-cache/postgres test
import {
  type ConformanceStore,
  type ConformanceTarget,
  runConformanceSuite,
} from "@lattice-cache/conformance";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import {
  disposeAll,
  type FaultProxyHandle,
  type PostgresServerHandle,
  StoreProxies,
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
    const proxies = new StoreProxies<LatticeBackend>([postgres.port]);
    const raw = new RawPostgresLattice(postgres.url, prefix);
    return {
      // A new, unopened backend (one host) through a fault proxy of its own.
      connect: () =>
        proxies.connect(
          ([proxy]) =>
            new PostgresBackend({
              url: urlThrough(postgres.url, proxy as FaultProxyHandle),
              prefix,
              ...TEST_TUNING,
            }),
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
        ...proxies.faultSwitches(),
      },
      dispose: async () => {
        await proxies.close();
        await raw.loseHistory();
        await raw.close();
      },
    };
  },
};

runConformanceSuite({ describe, it }, target);
