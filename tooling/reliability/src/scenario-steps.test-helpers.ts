// The steps every single-server fault scenario shares, whatever the backend: three hosts h1–h3 opened one
// after the other, a workload writing on them, the first write after a fault reaching every replica, and the
// server killed and restarted under them.
// Rules cited here: docs/semantics.md#rule-10.
import { setTimeout as sleep } from "node:timers/promises";
import type { ServerProcessControls } from "@lattice-cache/test-harness";
import { expect } from "vitest";
import { type ChaosHost, waitForHost } from "./chaos-host.test-helpers.js";
import type { Figures } from "./chaos-report.test-helpers.js";
import type { Converged } from "./convergence.test-helpers.js";
import { type RawPut, writeMarkerWith } from "./marker-write.test-helpers.js";
import { Workload } from "./workload.test-helpers.js";

/** The hosts of a scenario, in order. */
export const SCENARIO_HOSTS = ["h1", "h2", "h3"] as const;

/**
 * Opens {@link SCENARIO_HOSTS} with `open`, one after the other, into `hosts` — the caller's list, so its
 * teardown closes those opened before a failure.
 */
export async function openScenarioHosts(
  hosts: ChaosHost[],
  open: (name: string) => Promise<ChaosHost>,
): Promise<void> {
  for (const name of SCENARIO_HOSTS) hosts.push(await open(name));
}

/** Starts a {@link Workload} on `hosts` and waits for 60 acknowledged writes. */
export async function startWorkload(hosts: readonly ChaosHost[]): Promise<Workload> {
  const workload = new Workload(hosts);
  workload.start();
  await workload.waitForAcks(60);
  return workload;
}

/**
 * Writes a marker with `put` (retrying until the server takes it) and waits until every host is live with
 * it (within `timeoutMs`): the end of a fault. Resolves with the milliseconds since `since`.
 */
export async function everyReplicaLiveAfter(
  hosts: readonly ChaosHost[],
  workload: Workload,
  put: RawPut,
  since: number,
  what: string,
  timeoutMs = 60_000,
): Promise<number> {
  const marker = await writeMarkerWith(put, workload);
  await waitForHost(
    hosts,
    () =>
      hosts.every(
        (host) => host.cache.status().state === "live" && host.cache.status().revision >= marker.revision,
      ),
    `every replica live with the first write after ${what}`,
    timeoutMs,
  );
  return Date.now() - since;
}

/** What {@link killAndRestart} measured (times in ms epoch, durations in ms). */
export interface KillFigures {
  readonly killedAt: number;
  /** From the kill to every replica reporting `stale`. */
  readonly staleAfterMs: number;
  /** Writes that failed with `BACKEND_UNAVAILABLE` between the kill and the restart. */
  readonly failedWhileDown: number;
  /** When the restart began. */
  readonly restartAt: number;
  /** When the restarted server was ready (crash recovery included). */
  readonly restartedAt: number;
  /** From `restartedAt` to every replica live with the first write after it. */
  readonly recoveredMs: number;
}

/** What {@link killAndRestart} acts on. */
export interface KillTarget {
  readonly server: ServerProcessControls;
  readonly hosts: readonly ChaosHost[];
  /** Running on every host. */
  readonly workload: Workload;
  /** How long the server stays down, counted from the kill. */
  readonly downMs: number;
  /** Writes a marker and waits until every replica is live with it (the scenario's `everyReplicaLiveAfter`). */
  readonly liveAfter: (since: number, what: string) => Promise<number>;
}

/**
 * SIGKILL to the server while the workload writes: every replica must report `stale` (within 20 s) and
 * keep answering reads from what it holds; `downMs` later the server is restarted on the same port and
 * data, and every replica must be live with the first write made after the restart.
 */
export async function killAndRestart(target: KillTarget): Promise<KillFigures> {
  const { server, hosts, workload } = target;
  const unavailable = () => workload.stats().failed["BACKEND_UNAVAILABLE"] ?? 0;
  const failedBefore = unavailable();
  const killedAt = Date.now();
  await server.kill("SIGKILL");
  await waitForHost(
    hosts,
    () => hosts.every((host) => host.cache.status().state === "stale"),
    "every replica to report stale",
    20_000,
  );
  const staleAfterMs = Date.now() - killedAt;
  for (const host of hosts) {
    expect(host.cache.claims.list().length + host.cache.refmaps.size).toBeGreaterThan(0);
    expect(host.cache.status().staleForMs).toBeGreaterThan(0);
  }
  await sleep(Math.max(0, target.downMs - (Date.now() - killedAt)));
  const failedWhileDown = unavailable() - failedBefore;

  const restartAt = Date.now();
  await server.restart();
  const restartedAt = Date.now();
  const recoveredMs = await target.liveAfter(restartedAt, "the restart");
  return { killedAt, staleAfterMs, failedWhileDown, restartAt, restartedAt, recoveredMs };
}

/** Options of a scenario's `start`: the prefix, the server, each host's backend options. */
export interface ScenarioStartOptions<Server, HostOptions> {
  /** Start of the prefix, followed by 8 random hex digits (`kill` → `kill3fa9c2d1`). */
  readonly prefixStem: string;
  /** The server to use, e.g. one a fault proxy already points at. Default: a fresh one. */
  readonly server?: Server;
  /**
   * Backend options of host `name` (`h1`, `h2`, `h3`), laid over the server's address.
   * Default: none, every host on the server directly with the backend's defaults.
   */
  readonly hostOptions?: (name: string) => HostOptions;
}

/** The figures of a finished workload that fault scenarios report: counts, slowest outcomes, end revision, seed. */
export function workloadFigures(workload: Workload, converged: Converged): Figures {
  const stats = workload.stats();
  return {
    acknowledged: stats.acknowledged,
    failed: stats.failed["BACKEND_UNAVAILABLE"] ?? 0,
    maxFailureMs: stats.maxFailureMs,
    maxSuccessMs: stats.maxSuccessMs,
    revision: converged.revision,
    seed: workload.seed,
  };
}
