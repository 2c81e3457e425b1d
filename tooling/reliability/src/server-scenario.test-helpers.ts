// What every single-server scenario class shares, whatever the backend: start once on a fresh prefix, the
// first write after a fault reaching every replica, the end-state check against what the server stores, and
// the teardown that undoes the start however far it got. Subclasses say how to open the server, the hosts and
// a raw observer, how the observer writes a marker and how it reads the stored state.
import { randomBytes } from "node:crypto";
import { disposeAll } from "@lattice-cache/test-harness";
import { type ChaosHost, closeHosts } from "./chaos-host.test-helpers.js";
import { type Converged, expectConverged } from "./convergence.test-helpers.js";
import type { RawPut } from "./marker-write.test-helpers.js";
import { everyReplicaLiveAfter, type ScenarioStartOptions } from "./scenario-steps.test-helpers.js";
import type { StoredState } from "./stored-state.test-helpers.js";
import type { Workload } from "./workload.test-helpers.js";

/** What every started scenario has. */
export interface StartedScenario {
  /** h1, h2, h3, in that order. */
  readonly hosts: readonly ChaosHost[];
  /** Running on every host, with at least 60 writes acknowledged. */
  readonly workload: Workload;
}

/**
 * One scenario on one server: create it at module level, `start` it in the test and register `close` with
 * `afterAll`. Whatever `start` opened before a failure is closed all the same.
 */
export abstract class ServerScenario<
  Options extends ScenarioStartOptions<unknown, unknown>,
  Started extends StartedScenario,
> {
  /** The hosts opened so far: subclasses open them into this list (`openScenarioHosts`). */
  protected readonly hosts: ChaosHost[] = [];
  private scenario: Started | undefined;

  /** Starts the scenario on a fresh prefix (`prefixStem` and 8 random hex digits). A scenario starts once. */
  async start(options: Options): Promise<Started> {
    if (this.scenario !== undefined || this.hosts.length > 0)
      throw new Error(`a ${this.constructor.name} starts once`);
    this.scenario = await this.setUp(options, `${options.prefixStem}${randomBytes(4).toString("hex")}`);
    return this.scenario;
  }

  /** A marker write through the observer, straight to the server (`writeMarkerWith`). */
  readonly put: RawPut = (key, bytes) => this.putOf(this.started())(key, bytes);

  /**
   * Writes a marker through the observer (retrying until the server takes it) and waits until every host is
   * live with it: the end of a fault. Resolves with the milliseconds since `since`.
   */
  async everyReplicaLiveAfter(since: number, what: string): Promise<number> {
    const { hosts, workload } = this.started();
    return everyReplicaLiveAfter(hosts, workload, this.put, since, what);
  }

  /** Stops the workload and checks the end state against what the server stores ({@link expectConverged}). */
  async converge(): Promise<Converged> {
    const started = this.started();
    const { hosts, workload } = started;
    await workload.stop();
    return expectConverged({ hosts, workload, readState: () => this.readState(started) });
  }

  /** Closes the hosts and the observer, then disposes of every server and proxy the harness started. */
  async close(): Promise<void> {
    await closeHosts(this.hosts);
    await this.closeObserver();
    await disposeAll();
  }

  /** Starts (or takes) the server, opens the hosts into `hosts`, the observer, then the workload. */
  protected abstract setUp(options: Options, prefix: string): Promise<Started>;

  /** How the observer of `started` writes a marker. */
  protected abstract putOf(started: Started): RawPut;

  /** What the server stores for the workload's keys, read by the observer. */
  protected abstract readState(started: Started): Promise<StoredState>;

  /** Closes the observer if `setUp` got that far; never throws. */
  protected abstract closeObserver(): Promise<void>;

  /** The started scenario; throws before `start`. */
  protected started(): Started {
    if (this.scenario === undefined) throw new Error(`the ${this.constructor.name} has not started`);
    return this.scenario;
  }
}
