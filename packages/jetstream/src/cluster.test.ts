// A 3-node JetStream cluster with an R3 bucket under node loss: the stream leader dies, then the node that
// holds a replica's feed consumer. Every replica must be live and caught up soon after quorum returns (we
// assert ≤ 20 s and log the measured times), next to a raw nats.js kv.watch() in the same scenario.
import type { LatticeCache } from "@lattice-cache/core";
import {
  disposeAll,
  type NatsClusterHandle,
  type NatsServerHandle,
  startNatsCluster,
  waitFor,
} from "@lattice-cache/test-harness";
import type { KV } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { inspectJetStream } from "./inspect-jetstream.js";
import {
  type LogLine,
  openCache,
  type RawClient,
  rawClient,
  recordingLogger,
  since,
  uniquePrefix,
} from "./nats-fixtures.test-helpers.js";
import { StallableJetStreamBackend } from "./stallable-backend.test-helpers.js";

const RAW_WATCH_CAP_MS = 30_000;
let cluster: NatsClusterHandle;
let admin: RawClient;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  cluster = await startNatsCluster({ size: 3 });
  admin = await rawClient(cluster.urls);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await admin?.close();
  await disposeAll();
});

/** The server list starting at node `i`: each host prefers a different node. */
const rotated = (i: number) => [...cluster.urls.slice(i), ...cluster.urls.slice(0, i)];

/** A raw nats.js watcher, as a plain KV host would run it: records when each key arrived. */
async function rawWatcher(
  bucket: string,
  node: number,
): Promise<{ seen: Map<string, number>; node: number }> {
  const { connect } = await import("@nats-io/transport-node");
  const { Kvm } = await import("@nats-io/kv");
  const nc = await connect({
    servers: rotated(node),
    noRandomize: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  });
  closers.push(() => nc.close());
  const kv: KV = await new Kvm(nc).open(bucket);
  const seen = new Map<string, number>();
  const watch = await kv.watch();
  void (async () => {
    for await (const e of watch) seen.set(e.key, Date.now());
  })();
  return { seen, node };
}

async function putWithRetry(kv: KV, key: string, value: string): Promise<{ revision: number; at: number }> {
  for (;;) {
    try {
      const revision = await kv.put(key, value);
      return { revision, at: Date.now() };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function streamInfo(stream: string) {
  return waitFor(() => admin.jsm.streams.info(stream).catch(() => undefined), {
    what: "stream info",
    timeoutMs: 30_000,
  });
}

function serverNamed(name: string): NatsServerHandle {
  const server = cluster.serverByName(name);
  if (!server) throw new Error(`no server ${name}`);
  return server;
}

describe("doctor on a cluster", () => {
  it("an R1 bucket on a 3-node cluster gets a REPLICAS warning with the command to fix it", async () => {
    const prefix = uniquePrefix("r1");
    const { cache } = await openCache({ servers: cluster.urls, prefix, openTimeoutMs: 30_000 });
    closers.push(() => cache.close());
    const report = await inspectJetStream({ servers: cluster.urls, prefix });
    expect(report.cluster).toBeTruthy();
    expect(report.bucket.recommended.replicas).toBe(3);
    const finding = report.findings.find((f) => f.code === "REPLICAS");
    expect(finding?.fix).toBe(`nats stream edit KV_LATTICEDATA_${prefix} --replicas 3`);
  });
});

describe("rule 9: the stream's advisories reach every replica (docs/semantics.md#rule-9)", () => {
  it("a stream leader election makes a silently stalled replica ask the head and restart its feed, with the idle fallback off", async () => {
    const prefix = uniquePrefix("adv");
    const layout = new BucketLayout(prefix);
    const timing = { stallCheckIntervalMs: 200, idleCheckIntervalMs: 600_000, stallTimeoutMs: 1000 };
    const writer = await openCache(
      { servers: cluster.urls, prefix, hostId: "writer", bucket: { replicas: 3 }, openTimeoutMs: 30_000 },
      { hostId: "writer", timing },
    );
    closers.push(() => writer.cache.close());
    const backend = new StallableJetStreamBackend({ servers: cluster.urls, prefix, hostId: "reader" });
    const { LatticeCache } = await import("@lattice-cache/core");
    const reader = await LatticeCache.open({ backend, hostId: "reader", timing });
    closers.push(() => reader.close());
    await reader.ready(30_000);
    await waitFor(() => backend.describe().streamAdvisories !== undefined || undefined, {
      what: "the backend to describe its advisory subscription",
    });

    backend.feedStall.stalled = true;
    const { revision } = await writer.cache.refmaps.put({ oci_url: "adv:1", public_key: "MADV" });
    await new Promise((r) => setTimeout(r, 1500));
    expect(reader.status().revision).toBeLessThan(revision);
    expect(reader.status().counters.feedRestarts).toBe(0);
    backend.feedStall.stalled = false; // a restarted feed delivers; the running one stays stalled

    const before = (await streamInfo(layout.stream)).cluster?.leader;
    await admin.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${layout.stream}`, undefined, { timeout: 10_000 });
    await waitFor(() => reader.status().revision >= revision || undefined, {
      what: "the replica to restart its feed after the leader election",
      timeoutMs: 30_000,
    });
    const after = (await streamInfo(layout.stream)).cluster?.leader;
    expect(after).not.toBe(before);
    expect(reader.status().counters.feedRestarts).toBeGreaterThanOrEqual(1);
    expect(backend.describe().streamAdvisories).toBe("receiving");
  });
});

describe("rule 9: a follower carrying a feed's consumer dies — the cluster's word reaches the replica (docs/semantics.md#rule-9)", () => {
  it.each([
    ["a replica given one URL (the others learnt by gossip)", "one"],
    [
      "issue 22 item 8: a replica given every cluster URL (the production advice; nats.js reports no explicit server as gone)",
      "all",
    ],
  ] as const)(
    "%s gets the next write within seconds, with a 30 s heartbeat and the idle fallback off",
    async (_, servers) => {
      const prefix = uniquePrefix("gone");
      const layout = new BucketLayout(prefix);
      const timing = { idleCheckIntervalMs: 600_000 };
      const creator = await openCache(
        { servers: cluster.urls, prefix, hostId: "creator", bucket: { replicas: 3 }, openTimeoutMs: 30_000 },
        { hostId: "creator", timing },
      );
      await creator.cache.close();
      const leader = (await streamInfo(layout.stream)).cluster?.leader;
      // A reader whose first consumer (placed at random) landed on a follower it is not connected to: that
      // follower's death sends no stream advisory and does not touch the reader's connection.
      const home = cluster.servers.find((s) => s.serverName === leader);
      if (!home) throw new Error("no stream leader");
      const writer = await openCache(
        { servers: [home.url], prefix, hostId: "writer" },
        { hostId: "writer", timing },
      );
      closers.push(() => writer.cache.close());
      let reader: LatticeCache | undefined;
      let victim: NatsServerHandle | undefined;
      for (let attempt = 0; attempt < 12 && victim === undefined; attempt++) {
        const known = new Set<string>();
        for await (const c of admin.jsm.consumers.list(layout.stream)) known.add(c.name);
        const opened = await openCache(
          {
            servers: servers === "one" ? [home.url] : cluster.urls,
            prefix,
            hostId: `reader${attempt}`,
            heartbeatMs: 30_000,
          },
          { hostId: `reader${attempt}`, timing },
        );
        const connectedTo = opened.backend.describe().serverName;
        let node: string | undefined;
        for await (const c of admin.jsm.consumers.list(layout.stream)) {
          if (!known.has(c.name) && c.name.startsWith("lattice_")) node = c.cluster?.leader;
        }
        if (node !== undefined && node !== leader && node !== connectedTo) {
          reader = opened.cache;
          victim = serverNamed(node);
        } else await opened.cache.close();
      }
      if (!reader || !victim) throw new Error("no reader consumer was placed on a follower in 12 tries");
      closers.push(() => reader.close());

      await victim.kill("SIGKILL");
      try {
        const start = Date.now();
        const { revision } = await writer.cache.refmaps.put({ oci_url: "gone:1", public_key: "MGONE" });
        // The goal is seconds (docs/reliability.md: worst 8.5 s in 20 runs); the bound only proves the replica
        // did not wait for the heartbeats (two missed 30 s ones) or the 60 s fallback. A CI run on Node 24
        // under load once took over 20 s here (replacement consumers placed on the dead node time out first).
        await waitFor(() => reader.status().revision >= revision || undefined, {
          what: "the reader to get the write after its consumer's node died",
          timeoutMs: 30_000,
        });
        expect(since(start), "inside the first missed 30 s heartbeat").toBeLessThan(30_000);
      } finally {
        await victim.restart();
      }
      await waitFor(
        async () =>
          ((await streamInfo(layout.stream)).cluster?.replicas ?? []).every((r) => r.current) || undefined,
        {
          what: "the restarted follower to be current again",
          timeoutMs: 60_000,
        },
      );
    },
  );
});

describe("R3 bucket under node loss (production replica timing)", () => {
  it("after the stream leader dies, and then the node of a feed consumer, every replica is live and caught up ≤ 20 s after quorum", async () => {
    const prefix = uniquePrefix("r3");
    const layout = new BucketLayout(prefix);
    const caches: LatticeCache[] = [];
    const logs: LogLine[][] = [];
    for (let i = 0; i < 3; i++) {
      const logger = recordingLogger();
      logs.push(logger.lines);
      const { cache } = await openCache(
        {
          servers: rotated(i),
          prefix,
          hostId: `h${i}`,
          bucket: { replicas: 3 },
          openTimeoutMs: 30_000,
          logger,
        },
        { hostId: `h${i}`, logger },
      );
      caches.push(cache);
      closers.push(() => cache.close());
    }
    const writer = await admin.kv(layout.bucket);
    const watchers = await Promise.all([0, 1, 2].map((i) => rawWatcher(layout.bucket, i)));
    const baseKey = `REFMAP_${Buffer.from("base").toString("base64url")}`;
    await putWithRetry(writer, baseKey, JSON.stringify({ oci_url: "base", public_key: "MBASE" }));
    await waitFor(() => watchers.every((w) => w.seen.has(baseKey)), { what: "raw watchers synced" });

    const phases: Array<{ phase: string; killed: string; ours: number[]; raw: string[] }> = [];
    const measure = async (phase: string, victim: NatsServerHandle, key: string) => {
      await victim.kill("SIGKILL");
      const ociUrl = `after-${phase}`;
      const { revision, at: quorumAt } = await putWithRetry(
        writer,
        `REFMAP_${Buffer.from(ociUrl).toString("base64url")}`,
        JSON.stringify({ oci_url: ociUrl, public_key: "MAFTER" }),
      );
      const ours = Promise.all(
        caches.map(async (cache) => {
          await waitFor(() => cache.status().state === "live" && cache.status().revision >= revision, {
            what: `${cache.hostId} live at ${revision} after ${phase}: ${JSON.stringify(cache.status().lastError)}`,
            timeoutMs: 60_000,
            intervalMs: 100,
          });
          return since(quorumAt);
        }),
      );
      const raw = Promise.all(
        watchers.map((w) =>
          waitFor(() => w.seen.get(key), { timeoutMs: RAW_WATCH_CAP_MS, intervalMs: 100 }).then(
            (seenAt) => `${Math.max(0, seenAt - quorumAt)} ms`,
            () => `> ${RAW_WATCH_CAP_MS} ms (still stale)`,
          ),
        ),
      );
      const result = { phase, killed: victim.serverName, ours: await ours, raw: await raw };
      // For a slow recovery, show what that host went through (relative to quorum).
      result.ours.forEach((ms, i) => {
        if (ms < 8_000) return;
        const lines = (logs[i] ?? []).filter((l) => l.at >= quorumAt - 15_000);
        console.log(
          `[cluster] h${i} took ${ms} ms:\n${lines.map((l) => `  ${l.at - quorumAt} ms ${l.level} ${l.msg} ${JSON.stringify(l.obj)}`).join("\n")}`,
        );
      });
      phases.push(result);
      console.log(
        `[cluster] ${phase}: killed ${result.killed}; ours (ms after quorum) ${result.ours.join(", ")}; raw kv.watch ${result.raw.join(", ")}`,
      );
      return result;
    };

    // Phase 1: the stream leader.
    const leader = serverNamed((await streamInfo(layout.stream)).cluster?.leader ?? "");
    const first = await measure(
      "stream-leader",
      leader,
      `REFMAP_${Buffer.from("after-stream-leader").toString("base64url")}`,
    );
    expect(Math.max(...first.ours)).toBeLessThanOrEqual(20_000);

    // Back to three nodes before the next fault.
    await leader.restart();
    await cluster.waitForMetaLeader();
    await waitFor(
      async () => {
        const info = await admin.jsm.streams.info(layout.stream).catch(() => undefined);
        return info?.cluster?.replicas?.length === 2 && info.cluster.replicas.every((r) => r.current);
      },
      { what: "all three stream replicas current", timeoutMs: 45_000, intervalMs: 250 },
    );
    await Promise.all(caches.map((c) => waitFor(() => c.status().state === "live", { timeoutMs: 30_000 })));

    // Phase 2: the node holding the most feed consumers of our replicas.
    const hosts = new Map<string, number>();
    for await (const ci of admin.jsm.consumers.list(layout.stream)) {
      const at = ci.cluster?.leader;
      if (ci.name.startsWith("lattice_") && at) hosts.set(at, (hosts.get(at) ?? 0) + 1);
    }
    const consumerNode = [...hosts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(consumerNode).toBeDefined();
    const second = await measure(
      "consumer-node",
      serverNamed(consumerNode ?? ""),
      `REFMAP_${Buffer.from("after-consumer-node").toString("base64url")}`,
    );
    expect(Math.max(...second.ours)).toBeLessThanOrEqual(20_000);

    // Every replica holds the same state in the end, and none had to resync: the stream's creation time
    // (the epoch) is the same whichever node answers, so leader changes are not mistaken for lost history.
    const digests = new Set(caches.map((c) => c.status().digest));
    expect(digests.size).toBe(1);
    expect(caches.map((c) => c.status().counters.resyncs)).toEqual([0, 0, 0]);
    console.log(`[cluster] summary ${JSON.stringify(phases)}`);
  }, 240_000);
});
