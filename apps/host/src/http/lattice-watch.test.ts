// The Lattice view (`/lattice`): every host that answers the status channel with its state, lag and digest
// agreement, and a bounded history; this host's apply and write rates beside them.
import type { CacheStatus } from "@lattice-cache/core";
import { corruptReplica } from "@lattice-cache/core/testing";
import type { HostStatusReport, StatusBus } from "@lattice-cache/plugin";
import { type GatheredStatus, readStatusAnswers, StatusSecret, signAnswer } from "@lattice-cache/plugin";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { createHostContainer } from "../composition/host-container.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { HostRuntime } from "../runtime/host-runtime.js";
import { DEFAULT_LATTICE_WATCH, type LatticeView, LatticeWatch, propagationNote } from "./lattice-watch.js";

const runtimes: HostRuntime[] = [];
const watches: LatticeWatch[] = [];

afterAll(async () => {
  await Promise.all(watches.map((w) => w.stop()));
  await Promise.all(runtimes.map((r) => r.stop()));
});

async function startHost(hostId: string, prefix: string) {
  const config = loadConfig({
    flags: { backend: "memory", httpPort: "0", prefix, hostId },
    env: {},
    backends: ["memory"],
  });
  const runtime = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(HostRuntime);
  runtimes.push(runtime);
  const address = await runtime.start();
  await runtime.answering();
  return { runtime, cache: await runtime.ready(10_000), url: address.url };
}

async function latticeOf(url: string): Promise<LatticeView> {
  const response = await fetch(`${url}/lattice`);
  expect(response.status).toBe(200);
  return (await response.json()) as LatticeView;
}

describe("/lattice on in-process hosts (memory backend, in-process status channel)", () => {
  it("lists every answering host in agreement, then a corrupted replica as split brain with its partner", async () => {
    const a = await startHost("lat-a", "lattice-view");
    const b = await startHost("lat-b", "lattice-view");
    const { revision } = await a.cache.refmaps.put({ oci_url: "ghcr.io/acme/view:1", public_key: "MVIEW" });
    await b.cache.waitForRevision(revision);

    const agreed = await waitFor(
      async () => {
        const view = await latticeOf(a.url);
        return view.hosts.length === 2 && view.hosts.every((h) => h.revision === revision) ? view : undefined;
      },
      { timeoutMs: 30_000, what: "both hosts at the written revision in a's /lattice" },
    );
    expect(agreed.channel).toBe("in-process channel lattice-view");
    expect(agreed.selfId).toBe("lat-a");
    expect(agreed.hosts.map((h) => [h.hostId, h.self, h.answering, h.state, h.lag, h.agreement])).toEqual([
      ["lat-a", true, true, "live", 0, "agrees"],
      ["lat-b", false, true, "live", 0, "agrees"],
    ]);
    expect(agreed.hosts[1]?.http).toBe(b.url);
    expect(agreed.converged).toBe(true);
    for (const h of agreed.hosts) expect(h.history.length).toBeGreaterThan(0);

    expect(corruptReplica(b.cache, a.cache.refmaps.keyOf("ghcr.io/acme/view:1"), { tampered: true })).toBe(
      true,
    );
    const split = await waitFor(
      async () => {
        const view = await latticeOf(a.url);
        return view.splitBrains.length > 0 ? view : undefined;
      },
      { timeoutMs: 30_000, what: "a split brain in a's /lattice" },
    );
    expect(split.hosts.map((h) => [h.hostId, h.agreement, h.splitBrainWith])).toEqual([
      ["lat-a", "split-brain", ["lat-b"]],
      ["lat-b", "split-brain", ["lat-a"]],
    ]);
    expect(split.splitBrains[0]?.revision).toBe(revision);
    expect(split.converged).toBe(false);
  });
});

/** A status channel whose answers the test sets. */
class ScriptedBus implements StatusBus {
  readonly channel = "scripted channel";
  answers: HostStatusReport[] = [];
  async serve(): Promise<void> {}
  async gather(): Promise<GatheredStatus> {
    return readStatusAnswers(this.answers.map((a) => JSON.stringify(a)));
  }
  async close(): Promise<void> {}
}

function report(hostId: string, revision: number, digest = "d1"): HostStatusReport {
  return {
    hostId,
    backend: "jetstream",
    prefix: "p",
    state: "live",
    ordered: true,
    revision,
    backendRevision: revision,
    digest,
    counts: { linkdefs: 0, claims: 0, refmaps: 0 },
    staleForMs: 0,
    version: "0",
    http: null,
  };
}

/** A watch on a scripted channel and clock; its own loop samples once and then waits an hour. */
function scriptedWatch(options: { historyMs?: number; maxHosts?: number }, self?: () => CacheStatus) {
  const bus = new ScriptedBus();
  let now = 1_000_000;
  const watch = new LatticeWatch(() => bus, self ?? (() => undefined), {
    sampleEveryMs: 3_600_000,
    idleAfterMs: 7_200_000,
    clock: () => now,
    ...options,
  });
  watches.push(watch);
  return {
    bus,
    watch,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("the history", () => {
  it("keeps each host's lag over time, no further back than historyMs, and forgets hosts silent that long", async () => {
    const { bus, watch, advance } = scriptedWatch({ historyMs: 10_000 });
    bus.answers = [report("h1", 5), report("h2", 3)];
    const first = await watch.view();
    expect(first.hosts.map((h) => [h.hostId, h.lag, h.agreement])).toEqual([
      ["h1", 0, "alone"],
      ["h2", 2, "alone"],
    ]);
    for (let i = 0; i < 5; i++) {
      advance(4_000);
      await watch.sample();
    }
    const later = await watch.view();
    // Samples 4 s apart within 10 s: the last three.
    expect(later.hosts.find((h) => h.hostId === "h2")?.history.map(([, lag]) => lag)).toEqual([2, 2, 2]);

    bus.answers = [report("h1", 5)];
    advance(4_000);
    await watch.sample();
    const silent = (await watch.view()).hosts.find((h) => h.hostId === "h2");
    expect(silent).toMatchObject({ answering: false, agreement: "not-compared", revision: 3 });
    advance(11_000);
    await watch.sample();
    expect((await watch.view()).hosts.map((h) => h.hostId)).toEqual(["h1"]);
  });

  it("remembers at most maxHosts, forgetting the longest silent first", async () => {
    const { bus, watch, advance } = scriptedWatch({ maxHosts: 3 });
    bus.answers = [report("old", 1)];
    await watch.view();
    advance(1000);
    bus.answers = ["n1", "n2", "n3"].map((id) => report(id, 1));
    await watch.sample();
    expect((await watch.view()).hosts.map((h) => h.hostId)).toEqual(["n1", "n2", "n3"]);
  });

  it("issue 27 item 4: a flood of fake ids cannot push out hosts that keep answering, nor grow the view past maxHosts", async () => {
    const { bus, watch, advance } = scriptedWatch({ maxHosts: 4 });
    bus.answers = [report("real-a", 7), report("real-b", 7)];
    await watch.view();
    for (let round = 0; round < 5; round++) {
      advance(3_000);
      // Ids sorting before the real ones, new every round: each would evict the longest silent host.
      bus.answers = [
        ...Array.from({ length: 50 }, (_, i) => report(`0-fake-${round}-${i}`, 7)),
        report("real-a", 7),
        report("real-b", 7),
      ];
      await watch.sample();
      const ids = (await watch.view()).hosts.map((h) => h.hostId);
      expect(ids).toContain("real-a");
      expect(ids).toContain("real-b");
      expect(ids.length).toBeLessThanOrEqual(4);
    }
    expect((await watch.view()).notes).toContain(
      "48 answering hosts not listed: the view holds 4, and hosts listed already keep their place while they answer",
    );
  });

  it("issue 27 item 4: with a status secret, only verified answers enter the view; an out-of-bounds id never does", async () => {
    const secret = StatusSecret.from("lattice-watch-status-secret");
    const signed = (hostId: string) =>
      signAnswer(JSON.stringify({ ...report(hostId, 3), nonce: "n" }), secret);
    const bus: StatusBus = {
      channel: "scripted signed channel",
      serve: async () => {},
      gather: async () =>
        readStatusAnswers(
          [
            signed("real-a"),
            JSON.stringify(report("forged", 3, "d-forged")),
            JSON.stringify(report("x".repeat(300), 3)),
          ],
          { secret, nonce: "n" },
        ),
      close: async () => {},
    };
    const watch = new LatticeWatch(
      () => bus,
      () => undefined,
      { sampleEveryMs: 3_600_000 },
    );
    watches.push(watch);
    const view = await watch.view();
    expect(view.hosts.map((h) => [h.hostId, h.verified])).toEqual([["real-a", true]]);
    expect(view.splitBrains).toEqual([]);
    expect(view.notes.join("\n")).toMatch(
      /1 answer not verified with the status secret .*forged \(unsigned\)/,
    );
    expect(view.notes.join("\n")).toMatch(/refused 1 answer \(host id out of bounds\)/);
  });

  it("issue 27 item 4: a host's history is capped by count too, however often it is sampled", async () => {
    const { bus, watch, advance } = scriptedWatch({});
    bus.answers = [report("h1", 1)];
    await watch.view();
    // 500 samples 100 ms apart: all within the ten minutes of history, far more than it holds points.
    for (let i = 0; i < 500; i++) {
      advance(100);
      await watch.sample();
    }
    const history = (await watch.view()).hosts[0]?.history ?? [];
    expect(history.length).toBe(DEFAULT_LATTICE_WATCH.maxHistoryPoints);
    expect(history.at(-1)?.[0]).toBe((await watch.view()).sampling.lastSampleAt);
  });

  it("derives this host's apply and write rates from its counters between samples", async () => {
    let applied = 0;
    let writes = 0;
    const self = () =>
      ({
        hostId: "me",
        lag: 0,
        backend: "jetstream",
        lagMs: 0,
        propagation: { samples: applied, p50Ms: applied ? 4 : undefined, p99Ms: applied ? 9 : undefined },
        counters: { appliedChanges: applied, writes },
      }) as unknown as CacheStatus;
    const { watch, advance } = scriptedWatch({}, self);
    await watch.view();
    applied = 30;
    writes = 5;
    advance(10_000);
    await watch.sample();
    const view = await watch.view();
    expect(view.self).toEqual([
      {
        t: expect.any(Number),
        appliedPerSecond: 3,
        writesPerSecond: 0.5,
        lagMs: 0,
        lag: 0,
        propagationP50Ms: 4,
        propagationP99Ms: 9,
        propagationSamples: 30,
      },
    ]);
    expect(view.propagationNote).toBeNull();
  });

  it("says why no propagation delay is shown: a backend without write times, or no live change yet", () => {
    const status = (backend: string, samples = 0) =>
      ({
        backend,
        propagation: { samples, p50Ms: samples ? 1 : undefined, p99Ms: samples ? 1 : undefined },
      }) as unknown as CacheStatus;
    expect(propagationNote(status("redis"))).toBe(
      "not measured by the redis backend: its changes carry no write time",
    );
    expect(propagationNote(status("jetstream"))).toBe("no live change from the feed yet");
    expect(propagationNote(status("jetstream", 3))).toBeNull();
    expect(propagationNote(undefined)).toBeNull();
  });
});

describe("propagation delay on a jetstream lattice (real nats-server)", () => {
  let nats: NatsServerHandle | undefined;
  const mine: HostRuntime[] = [];
  afterAll(async () => {
    // Stopping is idempotent: the hosts go before their server.
    await Promise.all(mine.map((r) => r.stop()));
    await disposeAll();
  });

  it("another host's writes show up as propagation samples of this host", async () => {
    nats = await startNatsServer();
    const start = async (hostId: string) => {
      const config = loadConfig({
        flags: { natsUrl: (nats as NatsServerHandle).url, prefix: "propagation", hostId, httpPort: "0" },
        env: {},
        backends: ["jetstream"],
      });
      const runtime = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(
        HostRuntime,
      );
      runtimes.push(runtime);
      mine.push(runtime);
      const address = await runtime.start();
      return { url: address.url, cache: await runtime.ready(20_000) };
    };
    const a = await start("prop-a");
    const b = await start("prop-b");
    let revision = 0;
    for (const n of [1, 2, 3]) {
      ({ revision } = await b.cache.refmaps.put({ oci_url: `ghcr.io/acme/prop:${n}`, public_key: "MPROP" }));
    }
    await a.cache.waitForRevision(revision);
    expect(a.cache.status().propagation.samples).toBeGreaterThanOrEqual(3);
    const view = await waitFor(
      async () => {
        const v = await latticeOf(a.url);
        return v.self.some((s) => s.propagationSamples >= 3) ? v : undefined;
      },
      { timeoutMs: 30_000, what: "propagation samples in a's /lattice" },
    );
    const last = view.self.at(-1);
    expect(last?.propagationSamples).toBeGreaterThanOrEqual(3);
    expect(last?.propagationP50Ms).toBeGreaterThanOrEqual(0);
    expect(last?.propagationP99Ms).toBeGreaterThanOrEqual(last?.propagationP50Ms as number);
    expect(view.propagationNote).toBeNull();
  });
});
