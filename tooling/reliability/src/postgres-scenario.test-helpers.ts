// The common start of the PostgreSQL fault scenarios (kill, partition): one PostgreSQL server, three hosts
// h1–h3 on a fresh lattice prefix (each its own PostgresBackend: its own pool and feed connections), a raw
// observer on the lattice's schema (node-postgres, around lattice-cache), and a workload already writing —
// and the teardown that undoes it, however far the start got.
import { PostgresBackend, type PostgresBackendOptions } from "@lattice-cache/postgres";
import { RawPostgresLattice } from "@lattice-cache/postgres/testing";
import { type PostgresServerHandle, startPostgresServer } from "@lattice-cache/test-harness";
import { openHost } from "./chaos-host.test-helpers.js";
import type { RawPut } from "./marker-write.test-helpers.js";
import {
  openScenarioHosts,
  type ScenarioStartOptions,
  startWorkload,
} from "./scenario-steps.test-helpers.js";
import { ServerScenario, type StartedScenario } from "./server-scenario.test-helpers.js";
import { readPostgresState, type StoredState } from "./stored-state.test-helpers.js";

/** Backend options of one host beyond its prefix and logger (which the scenario sets). */
export type PostgresHostOptions = Omit<PostgresBackendOptions, "logger" | "prefix">;

/** Options of {@link PostgresScenario.start}; the hosts' options are laid over `{ url: server.url }`. */
export type PostgresScenarioOptions = ScenarioStartOptions<PostgresServerHandle, PostgresHostOptions>;

/** What {@link PostgresScenario.start} set up. */
export interface StartedPostgresScenario extends StartedScenario {
  readonly server: PostgresServerHandle;
  readonly prefix: string;
  /** The observer, straight to the server: reads the stored rows, writes markers. */
  readonly raw: RawPostgresLattice;
}

/** One PostgreSQL scenario (see {@link ServerScenario}). */
export class PostgresScenario extends ServerScenario<PostgresScenarioOptions, StartedPostgresScenario> {
  private raw: RawPostgresLattice | undefined;

  /**
   * Starts (or takes) the server, opens h1, h2 and h3 one after the other (the first creates the lattice's
   * schema), connects the observer, then starts a workload on the hosts and waits for 60 acknowledged writes.
   */
  protected async setUp(options: PostgresScenarioOptions, prefix: string): Promise<StartedPostgresScenario> {
    const server = options.server ?? (await startPostgresServer());
    await openScenarioHosts(this.hosts, (name) =>
      openHost(
        name,
        (logger) => new PostgresBackend({ url: server.url, ...options.hostOptions?.(name), prefix, logger }),
      ),
    );
    const raw = new RawPostgresLattice(server.url, prefix);
    this.raw = raw;
    const workload = await startWorkload(this.hosts);
    return { server, prefix, hosts: this.hosts, raw, workload };
  }

  /** A foreign writer's write through the lattice's own write function (`RawPostgresLattice.storeRaw`). */
  protected putOf({ raw }: StartedPostgresScenario): RawPut {
    return (key, bytes) => raw.storeRaw(key, bytes);
  }

  protected readState({ raw }: StartedPostgresScenario): Promise<StoredState> {
    return readPostgresState(raw);
  }

  protected async closeObserver(): Promise<void> {
    await this.raw?.close().catch(() => {});
  }
}
