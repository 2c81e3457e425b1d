// A lattice in the middle of a migration: old (generation-1) hosts, new hosts on JetStream, and a bridge.
// Rules cited here: docs/semantics.md#rule-12.
import {
  type CollectionName,
  claimsCodec,
  type LatticeCache,
  linkdefsCodec,
  refmapsCodec,
} from "@lattice-cache/core";
import {
  disposeAll,
  type FaultProxyHandle,
  type NatsServerHandle,
  startFaultProxy,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LegacyBridge } from "./legacy-bridge.js";
import { openJetStreamCache, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { SimulatedLegacyHost } from "./simulated-legacy-host.js";

let nats: NatsServerHandle;
const cleanups: Array<() => Promise<void>> = [];
const WAIT = { timeoutMs: 30_000 };

beforeAll(async () => {
  nats = await startNatsServer();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

afterAll(async () => {
  await disposeAll();
});

type View = Record<CollectionName, string[]>;

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** What an old host holds, normalized the way the durable side stores it. */
function oldView(host: SimulatedLegacyHost): View {
  return {
    linkdefs: host
      .linkdefs()
      .map((v) => text(linkdefsCodec.encode(linkdefsCodec.parse(v))))
      .sort(),
    claims: host
      .claims()
      .map((v) => text(claimsCodec.encode(claimsCodec.parse(v))))
      .sort(),
    refmaps: host
      .refmaps()
      .map((v) => text(refmapsCodec.encode(refmapsCodec.parse(v))))
      .sort(),
  };
}

/** What a new host serves. */
function newView(cache: LatticeCache): View {
  return {
    linkdefs: cache.linkdefs
      .list()
      .map((v) => text(linkdefsCodec.encode(v)))
      .sort(),
    claims: cache.claims
      .list()
      .map((v) => text(claimsCodec.encode(v)))
      .sort(),
    refmaps: cache.refmaps
      .list()
      .map((v) => text(refmapsCodec.encode(v)))
      .sort(),
  };
}

function newHost(prefix: string, hostId: string): Promise<LatticeCache> {
  return openJetStreamCache(nats.url, prefix, hostId, cleanups);
}

async function oldHost(prefix: string, name: string, servers = nats.url): Promise<SimulatedLegacyHost> {
  const host = await SimulatedLegacyHost.start({ servers, prefix, name, getTimeoutMs: 1000 });
  cleanups.push(() => host.stop());
  return host;
}

/** Two old hosts (the second behind a fault proxy), state they made before the migration, two new hosts and a bridge. */
async function fleet() {
  const prefix = uniquePrefix("fleet");
  const proxy: FaultProxyHandle = await startFaultProxy({ target: { port: nats.port } });
  cleanups.push(() => proxy.close());
  const oldA = await oldHost(prefix, "old-a");
  const oldB = await oldHost(prefix, "old-b", proxy.url("nats"));
  // Life before the migration: the old hosts share state by broadcast.
  oldA.putLinkdef({
    actor_id: "MPRE",
    provider_id: "VHTTP",
    contract_id: "wasmcloud:httpserver",
    values: { port: "80" },
  });
  oldB.putClaims({ sub: "MPRE", name: "pre", caps: "wasmcloud:httpserver" });
  oldA.putRefmap({ oci_url: "reg.example/pre:1", public_key: "MPRE" });
  await waitFor(
    () => oldB.linkdefs().length === 1 && oldA.claims().length === 1 && oldB.refmaps().length === 1,
    WAIT,
  );
  const bridgeCache = await newHost(prefix, "bridge-host");
  const bridge = new LegacyBridge({
    legacy: { servers: nats.url, prefix },
    durable: bridgeCache,
    bridgeId: "bridge-1",
    importWindowMs: 1000,
  });
  await bridge.start();
  cleanups.push(() => bridge.stop());
  const n1 = await newHost(prefix, "new-1");
  const n2 = await newHost(prefix, "new-2");
  return { prefix, proxy, oldA, oldB, bridge, bridgeCache, n1, n2 };
}

/** Waits until every host serves `expected` (and the new hosts have the same digest). */
async function converged(
  olds: readonly SimulatedLegacyHost[],
  news: readonly LatticeCache[],
  what: string,
): Promise<View> {
  const reference = news[0] as LatticeCache;
  return waitFor(
    () => {
      const view = JSON.stringify(newView(reference));
      const all = [...olds.map(oldView), ...news.map(newView)].map((v) => JSON.stringify(v));
      const digests = new Set(news.map((c) => c.status().digest));
      return all.every((v) => v === view) && digests.size === 1 ? newView(reference) : undefined;
    },
    { ...WAIT, what },
  );
}

describe("rule 12: a mixed fleet during the migration", () => {
  it("2 old hosts, 2 new hosts and a bridge converge on the same link definitions, claims and refmaps", async () => {
    const { oldA, oldB, bridge, bridgeCache, n1, n2 } = await fleet();
    // The bridge's start-up import brought the pre-migration state into the durable side.
    expect(bridge.status().startupImport).toMatchObject({ created: 3, failed: 0 });
    // Old hosts keep working as before; new hosts write to JetStream.
    oldA.putLinkdef({
      actor_id: "MOLDA",
      provider_id: "VKV",
      contract_id: "wasmcloud:keyvalue",
      link_name: "blue",
    });
    oldB.putClaims({ sub: "MOLDB", name: "old-b", tags: "x,y" });
    await n1.linkdefs.put({
      actor_id: "MNEW1",
      provider_id: "VKV",
      contract_id: "wasmcloud:keyvalue",
      values: { a: "1" },
    });
    await n2.refmaps.put({ oci_url: "reg.example/new2:1", public_key: "MNEW2" });
    await n2.claims.put({ sub: "MNEW2", name: "new-2", caps: ["wasmcloud:keyvalue"] });
    // Edits and deletes cross the bridge both ways.
    await waitFor(
      () => n1.linkdefs.get({ actor_id: "MOLDA", contract_id: "wasmcloud:keyvalue", link_name: "blue" }),
      WAIT,
    );
    await waitFor(() => oldB.linkdefs().some((l) => l.actor_id === "MOLDA"), WAIT);
    oldB.deleteLinkdef({ actor_id: "MOLDA", contract_id: "wasmcloud:keyvalue", link_name: "blue" });
    await waitFor(() => oldA.linkdefs().some((l) => l.actor_id === "MNEW1"), WAIT);
    await n1.linkdefs.delete({ actor_id: "MPRE", contract_id: "wasmcloud:httpserver" });
    await n2.linkdefs.update({ actor_id: "MNEW1", contract_id: "wasmcloud:keyvalue" }, (l) =>
      l ? { ...l, values: { a: "2" } } : undefined,
    );

    const view = await converged([oldA, oldB], [n1, n2, bridgeCache], "the fleet to converge");
    expect(view.linkdefs.map((l) => JSON.parse(l).actor_id)).toEqual(["MNEW1"]);
    expect(JSON.parse(view.linkdefs[0] as string).values).toEqual({ a: "2" });
    expect(view.claims.map((c) => JSON.parse(c).sub).sort()).toEqual(["MNEW2", "MOLDB", "MPRE"]);
    expect(view.refmaps.map((r) => JSON.parse(r).oci_url).sort()).toEqual([
      "reg.example/new2:1",
      "reg.example/pre:1",
    ]);
    expect(bridge.status().counters).toMatchObject({ invalid: 0, failed: 0 });
  });

  it("an old host restarting mid-migration gets the full state from the bridge", async () => {
    const { oldA, oldB, bridge, n1, n2 } = await fleet();
    // old-b has been moved to JetStream: it is gone from the legacy side. New hosts keep writing.
    await oldB.stop();
    await n1.claims.put({ sub: "MAFTER", name: "written while old-a is down" });
    await oldA.stop();
    await n2.refmaps.put({ oci_url: "reg.example/after:1", public_key: "MAFTER" });
    await n2.linkdefs.put({ actor_id: "MAFTER", provider_id: "VKV", contract_id: "wasmcloud:keyvalue" });
    await waitFor(() => n1.refmaps.size === 2 && n1.linkdefs.size === 2, WAIT);
    const answeredBefore = bridge.status().counters.answeredGets;
    await oldA.restart();
    // Only the bridge answers .get now: everything old-a knows came from the durable view.
    expect(bridge.status().counters.answeredGets - answeredBefore).toBe(3);
    expect(oldView(oldA)).toEqual(newView(n1));
    expect(oldA.claims().map((c) => c.sub)).toEqual(["MAFTER", "MPRE"]);
  });

  it("broadcasts an old host missed are healed on the durable side: it has everything the bridge heard", async () => {
    const { proxy, oldA, oldB, bridge, bridgeCache, n1, n2 } = await fleet();
    proxy.setMode("drop");
    await waitFor(() => proxy.connections() === 0, WAIT);
    // old-b is cut off: it misses old-a's and the new hosts' broadcasts (at most once: nobody re-sends them).
    oldA.putClaims({ sub: "MDURING", name: "while old-b was cut off" });
    oldA.putLinkdef({ actor_id: "MDURING", provider_id: "VKV", contract_id: "wasmcloud:keyvalue" });
    await n1.refmaps.put({ oci_url: "reg.example/during:1", public_key: "MDURING" });
    await waitFor(() => n2.claims.get("MDURING") !== undefined && n2.linkdefs.size === 2, WAIT);
    proxy.setMode("pass");
    await waitFor(() => proxy.connections() > 0, { ...WAIT, what: "old-b to reconnect" });
    // Back on the lattice, old-b is heard again.
    await waitFor(
      async () => {
        oldB.putRefmap({ oci_url: "reg.example/from-b:1", public_key: "MFROMB" });
        await new Promise((r) => setTimeout(r, 200));
        return n2.refmaps.get("reg.example/from-b:1") !== undefined;
      },
      { ...WAIT, what: "old-b's put to reach the durable side after it reconnects" },
    );

    // The durable side (bridge and both new hosts) holds everything the bridge heard, and agrees.
    const durable = await converged([oldA], [n1, n2, bridgeCache], "the durable side and old-a to agree");
    expect(durable.claims.map((c) => JSON.parse(c).sub).sort()).toEqual(["MDURING", "MPRE"]);
    expect(durable.refmaps).toHaveLength(3);
    // old-b drifted, as generation-1 hosts do: what it missed while cut off is never re-sent to it ...
    expect(oldB.claims().map((c) => c.sub)).toEqual(["MPRE"]);
    expect(bridge.status().counters.failed).toBe(0);
    // ... until it restarts and asks: then the durable view heals it.
    await oldB.restart();
    expect(oldView(oldB)).toEqual(newView(n1));
  });

  it("two bridges on one JetStream lattice do not loop: after a burst their counters settle", async () => {
    const { prefix, oldA, oldB, bridge: one, bridgeCache, n1, n2 } = await fleet();
    const secondCache = await newHost(prefix, "bridge-host-2");
    const two = new LegacyBridge({
      legacy: { servers: nats.url, prefix },
      durable: secondCache,
      bridgeId: "bridge-2",
    });
    await two.start();
    cleanups.push(() => two.stop());
    for (let i = 0; i < 20; i++) {
      oldA.putClaims({ sub: `MBURST${i % 5}`, name: `a${i}` });
      oldB.putRefmap({ oci_url: `reg.example/burst:${i % 5}`, public_key: `MB${i}` });
      await n1.linkdefs.put({
        actor_id: `MBURST${i % 5}`,
        provider_id: "VKV",
        contract_id: "c:kv",
        values: { i: String(i) },
      });
    }
    const counters = async () => {
      await Promise.all([one.idle(), two.idle()]);
      return JSON.stringify([one.status().counters, two.status().counters]);
    };
    const settled = await waitFor(
      async () => {
        const before = await counters();
        await new Promise((r) => setTimeout(r, 1000));
        return before === (await counters()) ? before : undefined;
      },
      { ...WAIT, what: "both bridges' counters to settle" },
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(await counters()).toBe(settled);
    for (const c of [one.status().counters, two.status().counters]) {
      expect(c.broadcast).toBeLessThanOrEqual(20 + 40);
      expect(c.failed + c.invalid).toBe(0);
    }
    await converged(
      [oldA, oldB],
      [n1, n2, bridgeCache, secondCache],
      "the fleet to converge after the burst",
    );
  });
});
