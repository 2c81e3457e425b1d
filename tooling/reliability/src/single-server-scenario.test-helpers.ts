// The common start of the single-server NATS fault scenarios (kill, pause, partition): one nats-server, three
// hosts h1–h3 on a fresh prefix, a raw observer connection with the bucket's KV handle, and a workload already
// writing — and the teardown that undoes it, however far the start got.
import type { JetStreamBackendOptions } from "@lattice-cache/jetstream";
import { type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import type { KV } from "@nats-io/kv";
import { openJetStreamHost } from "./chaos-host.test-helpers.js";
import type { RawPut } from "./marker-write.test-helpers.js";
import { kvPut, type RawNats, rawNats } from "./raw-nats.test-helpers.js";
import {
  openScenarioHosts,
  type ScenarioStartOptions,
  startWorkload,
} from "./scenario-steps.test-helpers.js";
import { ServerScenario, type StartedScenario } from "./server-scenario.test-helpers.js";
import { readJetStreamState, type StoredState } from "./stored-state.test-helpers.js";

/** Backend options of one host beyond its prefix (which the scenario sets). */
export type ScenarioHostOptions = Omit<JetStreamBackendOptions, "hostId" | "logger" | "prefix">;

/** Options of {@link SingleServerScenario.start}; the hosts' options are laid over `{ servers: server.url }`. */
export type SingleServerScenarioOptions = ScenarioStartOptions<NatsServerHandle, ScenarioHostOptions>;

/** What {@link SingleServerScenario.start} set up. */
export interface StartedSingleServerScenario extends StartedScenario {
  readonly server: NatsServerHandle;
  /** `LATTICEDATA_<prefix>`. */
  readonly bucket: string;
  /** The observer connection, straight to the server. */
  readonly raw: RawNats;
  /** The bucket through `raw`, for marker writes. */
  readonly kv: KV;
}

/** One single-server NATS scenario (see {@link ServerScenario}). */
export class SingleServerScenario extends ServerScenario<
  SingleServerScenarioOptions,
  StartedSingleServerScenario
> {
  private raw: RawNats | undefined;

  /**
   * Starts (or takes) the server, opens h1, h2 and h3 one after the other, connects the observer and binds
   * the bucket, then starts a workload on the hosts and waits for 60 acknowledged writes.
   */
  protected async setUp(
    options: SingleServerScenarioOptions,
    prefix: string,
  ): Promise<StartedSingleServerScenario> {
    const server = options.server ?? (await startNatsServer());
    const bucket = `LATTICEDATA_${prefix}`;
    await openScenarioHosts(this.hosts, (name) =>
      openJetStreamHost(name, { servers: server.url, ...options.hostOptions?.(name), prefix }),
    );
    const raw = await rawNats(server.url);
    this.raw = raw;
    const kv = await raw.kv(bucket);
    const workload = await startWorkload(this.hosts);
    return { server, bucket, hosts: this.hosts, raw, kv, workload };
  }

  protected putOf(started: StartedSingleServerScenario): RawPut {
    return kvPut(started.kv);
  }

  protected readState({ raw, bucket, workload }: StartedSingleServerScenario): Promise<StoredState> {
    return readJetStreamState(raw.jsm, bucket, workload.keys());
  }

  protected async closeObserver(): Promise<void> {
    await this.raw?.close();
  }
}
