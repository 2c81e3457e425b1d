// Fault (issue 22 item 8): on a 3-node cluster with an R3 bucket, the node that carries a host's feed consumer
// — a stream follower, not the node the host is connected to — is killed (`kill -9`) shortly after the host
// started. Little reaches the host: its connection stays up, a follower's death sends no stream advisory, and
// nats.js reports only servers it learnt by gossip as gone, so a host given every cluster URL heard nothing
// at all and stayed stale for a minute (61–65 s in every such run before the fix; its replica's 60 s idle
// fallback or two missed 30 s heartbeats ended it). The scenario measures the host's staleness — the longest
// delay between a marker's acknowledgement and the host serving it — until it serves the writes made after
// the kill, alternating hosts given all cluster URLs (the production advice) and one URL (the rest learnt by
// gossip). `LATTICE_CHAOS_RUNS` sets the number of runs (default 2; docs/reliability.md reports 20).
// Rules cited here: docs/semantics.md#rule-9.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { JetStreamBackend } from "@lattice-cache/jetstream";
import {
  disposeAll,
  type NatsClusterHandle,
  type NatsServerHandle,
  startNatsCluster,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChaosHost,
  closeHosts,
  openHost,
  saveHostLogs,
  waitForHost,
} from "./chaos-host.test-helpers.js";
import { envMs, reportScenario, seconds } from "./chaos-report.test-helpers.js";
import { LagProbe } from "./lag-probe.test-helpers.js";
import { type RawNats, rawNats } from "./raw-nats.test-helpers.js";
import { Workload } from "./workload.test-helpers.js";

/** How many times the scenario runs. */
const RUNS = runCount(process.env.LATTICE_CHAOS_RUNS);
/** The kill comes this long (at most, uniformly random) after the host's initial sync. */
const KILL_WITHIN_MS = envMs("LATTICE_CHAOS_KILL_WITHIN_MS", 2_000);
/** The goal: worst staleness of the host after the kill. Asserted with slack for a busy 2-core machine. */
const GOAL_MS = 15_000;
const ASSERTED_MS = 30_000;
/** How long the host is given to serve the writes made after the kill before the run counts as failed. */
const CATCH_UP_CAP_MS = 90_000;

function runCount(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 2;
  const runs = Number(raw);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error(`LATTICE_CHAOS_RUNS must be a whole number ≥ 1 (got ${raw})`);
  return runs;
}

let cluster: NatsClusterHandle;
let admin: RawNats;
const hosts: ChaosHost[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster({ size: 3 });
  admin = await rawNats(cluster.urls);
});

afterAll(async () => {
  await closeHosts(hosts);
  await admin?.close();
  await disposeAll();
});

/** What one run measured. */
interface RunFigures {
  readonly run: number;
  readonly servers: "all" | "one";
  readonly connectedTo: string;
  readonly killed: string;
  readonly killedWasStreamLeader: boolean;
  readonly killAfterReadyMs: number;
  readonly stalenessMs: number;
  readonly feedRestarts: number;
  readonly restartReasons: string;
}

/** The names of the stream's consumers now. */
async function consumerNames(stream: string): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const info of admin.jsm.consumers.list(stream)) names.add(info.name);
  return names;
}

/** The node carrying a new host's feed consumer: a `lattice_*` consumer not among `known`. */
async function feedConsumerNode(stream: string, known: ReadonlySet<string>): Promise<string | undefined> {
  for await (const info of admin.jsm.consumers.list(stream)) {
    if (info.name.startsWith("lattice_") && !known.has(info.name)) return info.cluster?.leader;
  }
  return undefined;
}

/** Waits until all three stream peers are current again after a restart. */
async function streamHealed(stream: string): Promise<void> {
  await cluster.waitForMetaLeader(60_000);
  await waitFor(
    async () => {
      const info = await admin.jsm.streams.info(stream).catch(() => undefined);
      return info?.cluster?.leader !== undefined && (info.cluster.replicas ?? []).length === 2
        ? info.cluster.replicas?.every((r) => r.current)
        : false;
    },
    { what: `all three peers of ${stream} current`, timeoutMs: 60_000, intervalMs: 250 },
  );
}

/** The stream's leader, once it has one. */
async function streamLeader(stream: string): Promise<string> {
  return waitFor(async () => (await admin.jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader, {
    what: `${stream}'s leader`,
  });
}

/**
 * Opens a host (given every cluster URL, or only `home`'s) whose feed consumer sits on a stream follower the
 * host is not connected to; retries with a fresh host when the consumer landed elsewhere (one try in three
 * succeeds, so 30 tries all fail about once in 200 000 runs).
 */
async function hostWithRemoteConsumer(
  prefix: string,
  stream: string,
  run: number,
  servers: "all" | "one",
): Promise<{ host: ChaosHost; connectedTo: string; consumerNode: NatsServerHandle }> {
  for (let attempt = 1; attempt <= 30; attempt++) {
    const name = `h${run}-${attempt}`;
    const known = await consumerNames(stream);
    const home = cluster.servers[(run + attempt) % cluster.servers.length] as NatsServerHandle;
    const host = await openHost(
      name,
      (logger) =>
        new JetStreamBackend({
          servers: servers === "all" ? cluster.urls : [home.url],
          prefix,
          hostId: name,
          bucket: { replicas: 3 },
          openTimeoutMs: 30_000,
          logger,
        }),
    );
    const connectedTo = String(host.backend.describe?.()["serverName"]);
    const node = await waitFor(() => feedConsumerNode(stream, known), { what: "the host's feed consumer" });
    const consumerNode = cluster.serverByName(node);
    const leader = await streamLeader(stream);
    if (consumerNode !== undefined && node !== connectedTo && node !== leader) {
      return { host, connectedTo, consumerNode };
    }
    await host.cache.close();
  }
  throw new Error("in 30 tries, no host's feed consumer landed on a follower it was not connected to");
}

async function oneRun(run: number): Promise<RunFigures> {
  const prefix = `kill${randomBytes(4).toString("hex")}`;
  const bucket = `LATTICEDATA_${prefix}`;
  const stream = `KV_${bucket}`;
  const creator = new JetStreamBackend({
    servers: cluster.urls,
    prefix,
    bucket: { replicas: 3 },
    openTimeoutMs: 30_000,
  });
  await creator.open();
  await creator.close();
  await streamHealed(stream);

  const servers = run % 2 === 0 ? "all" : "one";
  const { host, connectedTo, consumerNode } = await hostWithRemoteConsumer(prefix, stream, run, servers);
  hosts.push(host);
  const label = host.name;
  const probe = new LagProbe(
    await admin.kv(bucket),
    [{ label, revision: () => host.cache.status().revision }],
    new Workload([]),
  );
  probe.start();
  try {
    const readyAt = Date.now();
    await sleep(Math.floor(Math.random() * KILL_WITHIN_MS));
    const leader = (await admin.jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader;
    const killAt = Date.now();
    await consumerNode.kill("SIGKILL");

    // Until the host serves the writes made after the kill: the first marker acknowledged after it, then
    // three more seconds of markers (a host that caught up only for a moment would show here).
    const first = await waitFor(() => probe.firstMarkerAfter(killAt), {
      what: "a marker acknowledged after the kill",
      timeoutMs: 60_000,
    });
    await waitForHost(
      [host],
      () => host.cache.status().revision >= first.revision,
      `${label} serving the first write after the kill`,
      CATCH_UP_CAP_MS,
    );
    const settleFrom = Date.now();
    await waitFor(() => probe.firstMarkerAfter(settleFrom + 3_000), {
      what: "markers written after the catch-up",
      timeoutMs: 60_000,
    });
    if (!(await probe.caughtUp(label, 30_000))) saveHostLogs([host]);
    await probe.stopWriting();

    const stalenessMs = probe.lag(label).maxLagMs;
    const status = host.cache.status();
    const reasons = host.logger
      .text()
      .split("\n")
      .filter((line) => line.includes("recreating the feed consumer") || line.includes("restarting"))
      .map((line) => /"reason":"([^"]*)"/.exec(line)?.[1] ?? "")
      .filter((reason) => reason !== "")
      .join(" | ");
    if (stalenessMs > GOAL_MS) saveHostLogs([host]);
    return {
      run,
      servers,
      connectedTo,
      killed: consumerNode.serverName,
      killedWasStreamLeader: leader === consumerNode.serverName,
      killAfterReadyMs: killAt - readyAt,
      stalenessMs,
      feedRestarts: status.counters.feedRestarts,
      restartReasons: reasons,
    };
  } finally {
    await probe.close();
    await host.cache.close();
    await consumerNode.restart();
    await streamHealed(stream).catch(() => {});
    await admin.jsm.streams.delete(stream).catch(() => {});
  }
}

describe("fault: R3 cluster, the follower carrying a host's feed consumer (not its connection) is killed shortly after the host started", () => {
  it(
    `issue 22 item 8: the host serves the writes made after the kill within ${seconds(GOAL_MS)} (goal; asserted ≤ ${seconds(ASSERTED_MS)}), in every run, whether it was given all cluster URLs or one`,
    async () => {
      const figures: RunFigures[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const result = await oneRun(run);
        figures.push(result);
        console.log(
          `[chaos] consumer node kill, run ${run}/${RUNS}: servers ${result.servers}, host on ${result.connectedTo}, ` +
            `killed ${result.killed}${result.killedWasStreamLeader ? " (stream leader)" : " (follower)"} ` +
            `${seconds(result.killAfterReadyMs)} after ready; staleness ${seconds(result.stalenessMs)}; ` +
            `feed restarts ${result.feedRestarts}: ${result.restartReasons}`,
        );
      }
      const sorted = figures.map((f) => f.stalenessMs).sort((a, b) => a - b);
      const middle = sorted.length / 2;
      const median =
        sorted.length % 2 === 1
          ? (sorted[Math.floor(middle)] ?? 0)
          : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
      const worst = sorted.at(-1) ?? 0;
      reportScenario(
        "nats-r3-consumer-node-kill",
        `${RUNS} runs; host staleness after the kill: median ${seconds(median)}, worst ${seconds(worst)} ` +
          `(${figures.filter((f) => f.stalenessMs <= GOAL_MS).length}/${RUNS} within ${seconds(GOAL_MS)}); ` +
          `per run: ${figures.map((f) => seconds(f.stalenessMs)).join(", ")}`,
        {
          runs: RUNS,
          medianStalenessMs: median,
          worstStalenessMs: worst,
          withinGoal: figures.filter((f) => f.stalenessMs <= GOAL_MS).length,
          perRunStalenessMs: figures.map((f) => f.stalenessMs).join(","),
          followerKills: figures.filter((f) => !f.killedWasStreamLeader).length,
        },
      );
      for (const f of figures) {
        expect(f.stalenessMs, `run ${f.run}: host staleness after the kill (ms)`).toBeLessThanOrEqual(
          ASSERTED_MS,
        );
      }
    },
    600_000 + RUNS * 150_000,
  );
});
