// The common start of the single-server fault scenarios (kill, pause, partition): one nats-server, three
// hosts h1–h3 on a fresh prefix, a raw observer connection with the bucket's KV handle, and a workload already
// writing — and the teardown that undoes it, however far the start got.
import { randomBytes } from "node:crypto";
import type { JetStreamBackendOptions } from "@lattice-cache/jetstream";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import type { KV } from "@nats-io/kv";
import { type ChaosHost, closeHosts, openJetStreamHost } from "./chaos-host.test-helpers.js";
import { type Converged, expectConverged } from "./convergence.test-helpers.js";
import { type RawNats, rawNats, writeMarker } from "./raw-nats.test-helpers.js";
import { readJetStreamState } from "./stored-state.test-helpers.js";
import { Workload } from "./workload.test-helpers.js";

/** Backend options of one host beyond its prefix (which the scenario sets). */
export type ScenarioHostOptions = Omit<JetStreamBackendOptions, "hostId" | "logger" | "prefix">;

/** Options of {@link SingleServerScenario.start}. */
export interface SingleServerScenarioOptions {
  /** Start of the prefix, followed by 8 random hex digits (`kill` → `kill3fa9c2d1`). */
  readonly prefixStem: string;
  /** The nats-server to use, e.g. one a fault proxy already points at. Default: a fresh `startNatsServer()`. */
  readonly server?: NatsServerHandle;
  /**
   * Backend options of host `name` (`h1`, `h2`, `h3`), laid over `{ servers: server.url }`.
   * Default: none, every host on the server directly with the backend's defaults.
   */
  readonly hostOptions?: (name: string) => ScenarioHostOptions;
}

/** What {@link SingleServerScenario.start} set up. */
export interface StartedSingleServerScenario {
  readonly server: NatsServerHandle;
  /** `LATTICEDATA_<prefix>`. */
  readonly bucket: string;
  /** h1, h2, h3, in that order. */
  readonly hosts: readonly ChaosHost[];
  /** The observer connection, straight to the server. */
  readonly raw: RawNats;
  /** The bucket through `raw`, for marker writes. */
  readonly kv: KV;
  /** Running on every host, with at least 60 writes acknowledged. */
  readonly workload: Workload;
}

/**
 * One single-server scenario: create it at module level, `start` it in the test and register `close` with
 * `afterAll`. Whatever `start` opened before a failure is closed all the same.
 */
export class SingleServerScenario {
  private readonly hosts: ChaosHost[] = [];
  private raw: RawNats | undefined;
  private scenario: StartedSingleServerScenario | undefined;

  /**
   * Starts (or takes) the server, opens h1, h2 and h3 one after the other on a fresh prefix, connects the
   * observer and binds the bucket, then starts a {@link Workload} on the hosts and waits for 60
   * acknowledged writes. A scenario starts once.
   */
  async start(options: SingleServerScenarioOptions): Promise<StartedSingleServerScenario> {
    if (this.scenario !== undefined || this.hosts.length > 0)
      throw new Error("a SingleServerScenario starts once");
    const server = options.server ?? (await startNatsServer());
    const prefix = `${options.prefixStem}${randomBytes(4).toString("hex")}`;
    const bucket = `LATTICEDATA_${prefix}`;
    for (const name of ["h1", "h2", "h3"]) {
      const hostOptions = { servers: server.url, ...options.hostOptions?.(name), prefix };
      this.hosts.push(await openJetStreamHost(name, hostOptions));
    }
    const raw = await rawNats(server.url);
    this.raw = raw;
    const kv = await raw.kv(bucket);
    const workload = new Workload(this.hosts);
    workload.start();
    await workload.waitForAcks(60);
    this.scenario = { server, bucket, hosts: this.hosts, raw, kv, workload };
    return this.scenario;
  }

  /**
   * Writes a marker through the observer (retrying until the server takes it) and waits until every host is
   * live with it: the end of a fault. Resolves with the milliseconds since `since`.
   */
  async everyReplicaLiveAfter(since: number, what: string): Promise<number> {
    const { hosts, kv, workload } = this.started();
    const marker = await writeMarker(kv, workload);
    await waitFor(
      () =>
        hosts.every(
          (host) => host.cache.status().state === "live" && host.cache.status().revision >= marker.revision,
        ),
      { timeoutMs: 60_000, what: `every replica live with the first write after ${what}` },
    );
    return Date.now() - since;
  }

  /** Stops the workload and checks the end state against what the server stores ({@link expectConverged}). */
  async converge(): Promise<Converged> {
    const { hosts, raw, bucket, workload } = this.started();
    await workload.stop();
    return expectConverged({
      hosts,
      workload,
      readState: () => readJetStreamState(raw.jsm, bucket, workload.keys()),
    });
  }

  private started(): StartedSingleServerScenario {
    if (this.scenario === undefined) throw new Error("the SingleServerScenario has not started");
    return this.scenario;
  }

  /** Closes the hosts and the observer, then disposes of every server and proxy the harness started. */
  async close(): Promise<void> {
    await closeHosts(this.hosts);
    await this.raw?.close();
    await disposeAll();
  }
}
