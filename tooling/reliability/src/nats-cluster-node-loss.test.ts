// Fault: a 3-node JetStream cluster with an R3 bucket loses the stream leader, then the node carrying a
// replica's feed consumer (quorum lost), then both come back. Our replicas must be live again within seconds
// of the cluster regaining quorum; a raw nats.js `kv.watch()` in the same scenario shows what a plain client
// sees (nats-notes.md: silent for 60–90 s).
//
// In roughly one run in ten, nats-server 2.9.10 comes back from this with a rewritten history — sequence
// numbers that replicas already applied now hold other messages, acknowledged messages moved to other
// sequences, sometimes an older acknowledged write landing again after a newer one — while the stream's
// creation time (our epoch) stays the same. Our feeds replay their last deliveries when they resume or the
// stream leader changes, notice, and the replicas resync: they must match the server in every run. What the
// server itself moved or lost is a server bug (docs/reliability.md); the convergence check accepts it only
// with proof and prints it; `LATTICE_CHAOS_STRICT=1` makes it fail instead.
// Rules cited here: docs/semantics.md#rule-9.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { JetStreamBackend } from "@lattice-cache/jetstream";
import { disposeAll, type NatsServerHandle, startNatsCluster, waitFor } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { type ChaosHost, closeHosts, openHost, waitForHost } from "./chaos-host.test-helpers.js";
import { envMs, reportScenario, seconds, since } from "./chaos-report.test-helpers.js";
import { expectConverged } from "./convergence.test-helpers.js";
import { LagProbe } from "./lag-probe.test-helpers.js";
import { type RawNats, RawWatcher, rawNats } from "./raw-nats.test-helpers.js";
import { readJetStreamRevision, readJetStreamState } from "./stored-state.test-helpers.js";
import { Workload } from "./workload.test-helpers.js";

const WRITE_DEADLINE_MS = 5_000;
/** Time between the two kills. */
const BETWEEN_KILLS_MS = envMs("LATTICE_CHAOS_BETWEEN_KILLS_MS", 15_000);
/** How long the cluster stays without quorum. */
const NO_QUORUM_MS = envMs("LATTICE_CHAOS_NO_QUORUM_MS", 8_000);
/** How long the raw kv.watch is given to catch up before it is reported as "still stale". */
const RAW_WATCH_CAP_MS = envMs("LATTICE_CHAOS_RAW_WATCH_MS", 90_000);
/** The bound asserted for our replicas (the goal is ~10 s; the machine is shared and busy). */
const LIVE_BOUND_MS = 30_000;

const hosts: ChaosHost[] = [];
const raws: RawNats[] = [];
const watchers: RawWatcher[] = [];
let probe: LagProbe | undefined;

afterAll(async () => {
  await probe?.close();
  for (const watcher of watchers) watcher.close();
  await closeHosts(hosts);
  await Promise.all(raws.map((raw) => raw.close()));
  await disposeAll();
});

describe("fault: R3 cluster loses the stream leader, then the node of a feed consumer (quorum lost), then both return", () => {
  it("rule 9: every replica is live again within seconds of the cluster regaining quorum and matches the server, even when the server rewrote its history; nothing acknowledged is lost (unless the server itself lost it: known issue)", async () => {
    const cluster = await startNatsCluster({ size: 3 });
    const prefix = `r3${randomBytes(4).toString("hex")}`;
    const bucket = `LATTICEDATA_${prefix}`;
    const stream = `KV_${bucket}`;
    // Each host starts on its own node; nats.js learns the other nodes from the cluster and fails over.
    for (const [i, url] of cluster.urls.entries()) {
      const name = `h${i + 1}`;
      hosts.push(
        await openHost(
          name,
          (logger) =>
            new JetStreamBackend({
              servers: url,
              prefix,
              hostId: name,
              bucket: { replicas: 3 },
              writeDeadlineMs: WRITE_DEADLINE_MS,
              logger,
            }),
        ),
      );
    }
    const admin = await rawNats(cluster.urls);
    raws.push(admin);
    for (const server of cluster.servers) {
      const observer = await rawNats(server.url);
      raws.push(observer);
      const watcher = new RawWatcher(server.serverName);
      await watcher.start(await observer.kv(bucket));
      watchers.push(watcher);
    }
    const workload = new Workload(hosts);
    probe = new LagProbe(
      await admin.kv(bucket),
      [
        ...hosts.map((host) => ({ label: host.name, revision: () => host.cache.status().revision })),
        ...watchers.map((watcher) => ({
          label: `raw@${watcher.label}`,
          revision: () => watcher.lastRevision,
        })),
      ],
      workload,
    );
    probe.start();
    workload.start();
    await workload.waitForAcks(60);

    // 1. The stream leader dies.
    const leaderName = (await admin.jsm.streams.info(stream)).cluster?.leader;
    const leader = leaderName === undefined ? undefined : cluster.serverByName(leaderName);
    expect(leader, "the stream has a leader").toBeDefined();
    const firstKillAt = Date.now();
    await leader!.kill("SIGKILL");
    await workload.waitForAcks(20, 60_000);
    const writesResumedMs = since(firstKillAt);
    // Long enough for plain watchers that lost their consumer to have replaced it (nats.js gives the
    // replacement a 30 s idle heartbeat): the situation nats-notes.md measured.
    await sleep(Math.max(0, BETWEEN_KILLS_MS - since(firstKillAt)));

    // 2. The node carrying our feed consumers (and, by preference, raw watchers' consumers) dies: no quorum.
    const placement = await consumerPlacement(admin, stream);
    const second = pickConsumerNode(placement, cluster.servers, leader!, hosts);
    const secondKillAt = Date.now();
    await second.kill("SIGKILL");
    const failuresBefore = workload.stats().failed["BACKEND_UNAVAILABLE"] ?? 0;
    // Writes in flight fail at their deadline: without quorum nothing is acknowledged.
    await waitFor(() => (workload.stats().failed["BACKEND_UNAVAILABLE"] ?? 0) > failuresBefore, {
      timeoutMs: WRITE_DEADLINE_MS * 4,
      what: "writes failing without quorum",
    });
    await sleep(Math.max(0, NO_QUORUM_MS - since(secondKillAt)));
    for (const host of hosts) expect(() => host.cache.claims.list()).not.toThrow();

    // 3. Both return; quorum is back when the first marker is acknowledged again.
    const restartAt = Date.now();
    await Promise.all([leader!.restart(), second.restart()]);
    const firstAfter = await waitFor(() => probe!.firstMarkerAfter(restartAt), {
      timeoutMs: 90_000,
      what: "a write acknowledged after the restart (quorum)",
    });
    const quorumAt = firstAfter.ackedAt;
    const liveMs: Record<string, number> = {};
    await Promise.all(
      hosts.map((host) =>
        waitForHost(
          hosts,
          () => host.cache.status().state === "live" && host.cache.status().revision >= firstAfter.revision,
          `${host.name} live with the first write after quorum`,
          90_000,
        ).then(() => {
          liveMs[host.name] = since(quorumAt);
        }),
      ),
    );
    const slowest = Math.max(...Object.values(liveMs));
    await workload.waitForAcks(30, 60_000);
    await workload.stop();
    // Give the raw watchers until the cap to deliver every marker (they may sit silent on a lost consumer).
    await Promise.all(
      watchers.map((w) =>
        probe!.caughtUp(`raw@${w.label}`, Math.max(0, quorumAt + RAW_WATCH_CAP_MS - Date.now())),
      ),
    );
    await probe.stopWriting();

    const converged = await expectConverged({
      hosts,
      workload,
      timeoutMs: 90_000,
      readState: () => readJetStreamState(admin.jsm, bucket, workload.keys()),
      readRevision: (revision) => readJetStreamRevision(admin.jsm, bucket, revision),
      acceptProvenHistoryRewrite: true,
    });
    const rewrite = converged.historyRewrite;
    if (rewrite !== undefined) {
      console.log(
        `[chaos] KNOWN ISSUE (docs/reliability.md): nats-server rewrote the stream's history after the restarts ` +
          `(${rewrite.moved.length} acknowledged writes re-sequenced, ${rewrite.lost.length} overwritten); ` +
          `replicas ${rewrite.detectedBy.join(", ") || "none"} noticed and resynced; every replica matches ` +
          "the server. Set LATTICE_CHAOS_STRICT=1 to fail on it.",
      );
    }
    const stats = workload.stats();
    expect(stats.unexpected).toEqual([]);
    expect(slowest, "slowest replica live after quorum (ms)").toBeLessThanOrEqual(LIVE_BOUND_MS);

    const ours = Math.max(...hosts.map((host) => probe!.lag(host.name).maxLagMs));
    const raw = watchers.map((w) => ({ node: w.label, ...probe!.lag(`raw@${w.label}`) }));
    const rawText = raw
      .map(
        (r) =>
          `on ${r.node} ${r.missing > 0 ? `still behind after ${seconds(r.maxLagMs)}` : `${seconds(r.maxLagMs)}`}`,
      )
      .join(", ");
    const feedRestarts = hosts.reduce((n, h) => n + h.cache.status().counters.feedRestarts, 0);
    reportScenario(
      "nats-r3-node-loss",
      `killed stream leader ${leader!.serverName} (writes resumed after ${seconds(writesResumedMs)}), then ` +
        `${second.serverName} (${placement.get(second.serverName)?.lattice ?? 0} feed consumers, ` +
        `${placement.get(second.serverName)?.raw ?? 0} raw watch consumers, ` +
        `${placement.get(second.serverName)?.rawSlow ?? 0} of them with a 30 s heartbeat); quorum back ${seconds(quorumAt - restartAt)} ` +
        `after restart; replicas live again ${seconds(slowest)} after quorum; longest staleness: replicas ` +
        `${seconds(ours)}, raw kv.watch ${rawText}; ${stats.acknowledged} acknowledged, ` +
        `${rewrite?.lost.length ?? 0} lost` +
        (rewrite === undefined
          ? ""
          : `; SERVER REWROTE HISTORY, noticed by: ${rewrite.detectedBy.join(", ") || "none"}`),
      {
        leader: leader!.serverName,
        consumerNode: second.serverName,
        writesResumedAfterLeaderLossMs: writesResumedMs,
        noQuorumMs: restartAt - secondKillAt,
        quorumAfterRestartMs: quorumAt - restartAt,
        slowestReplicaLiveAfterQuorumMs: slowest,
        replicaMaxLagMs: ours,
        ...Object.fromEntries(raw.map((r) => [`rawWatchMaxLag_${r.node}_ms`, r.maxLagMs])),
        ...Object.fromEntries(raw.map((r) => [`rawWatchMissing_${r.node}`, r.missing])),
        feedRestarts,
        historyRewritten: rewrite !== undefined,
        resequencedAcknowledged: rewrite?.moved.length,
        lostAcknowledged: rewrite?.lost.length,
        rewriteNoticedBy: rewrite?.detectedBy.join(","),
        acknowledged: stats.acknowledged,
        failed: stats.failed["BACKEND_UNAVAILABLE"] ?? 0,
        revision: converged.revision,
        seed: workload.seed,
      },
    );
  }, 300_000);
});

/** Consumers on one node: ours (`lattice_*`), raw watchers', and raw ones with a 30 s idle heartbeat. */
interface NodeConsumers {
  lattice: number;
  raw: number;
  rawSlow: number;
}

/** Per node: how many of our feed consumers and of the raw watchers' consumers it carries. */
async function consumerPlacement(admin: RawNats, stream: string): Promise<Map<string, NodeConsumers>> {
  const out = new Map<string, NodeConsumers>();
  try {
    for await (const info of admin.jsm.consumers.list(stream)) {
      const node = info.cluster?.leader;
      if (node === undefined) continue;
      const counts = out.get(node) ?? { lattice: 0, raw: 0, rawSlow: 0 };
      if (info.name.startsWith("lattice_")) counts.lattice += 1;
      else {
        counts.raw += 1;
        if ((info.config.idle_heartbeat ?? 0) >= 30e9) counts.rawSlow += 1;
      }
      out.set(node, counts);
    }
  } catch {
    // The listing can time out right after a leader change; the caller falls back to connections.
  }
  return out;
}

/**
 * The live node (other than `exclude`) carrying a feed consumer of ours — among those the one with the most
 * raw watch consumers (30 s heartbeat ones first), so the comparison hits both — or else the node a host is
 * connected to.
 */
function pickConsumerNode(
  placement: ReadonlyMap<string, NodeConsumers>,
  servers: readonly NatsServerHandle[],
  exclude: NatsServerHandle,
  hosts: readonly ChaosHost[],
): NatsServerHandle {
  const candidates = servers.filter((s) => s !== exclude && s.running);
  const score = (s: NatsServerHandle) => {
    const p = placement.get(s.serverName);
    return p === undefined || p.lattice === 0 ? 0 : 100 + 10 * p.rawSlow + p.raw;
  };
  const ranked = [...candidates].sort((a, b) => score(b) - score(a));
  if (score(ranked[0]!) > 0) return ranked[0]!;
  const connected = hosts
    .map((host) => host.backend.describe?.()["serverName"])
    .find((name) => candidates.some((s) => s.serverName === name));
  return candidates.find((s) => s.serverName === connected) ?? candidates[0]!;
}
