// The bridge against real NATS, with core's in-memory backend as the durable side (fast, ordered, CAS).
// Rules cited here: docs/semantics.md#rule-11, #rule-12.
import { LatticeCache, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import type { LegacyPolicy } from "@lattice-cache/core/backend";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { decode, encode } from "@msgpack/msgpack";
import { Empty, type NatsConnection } from "@nats-io/nats-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LegacyBridge } from "./legacy-bridge.js";
import { plainConnection, uniquePrefix, WireObserver } from "./nats-fixtures.test-helpers.js";
import { SimulatedLegacyHost } from "./simulated-legacy-host.js";

let nats: NatsServerHandle;
let client: NatsConnection;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false });
  client = await plainConnection(nats.url);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

afterAll(async () => {
  await client?.close();
  await disposeAll();
});

async function durableCache(store: MemoryStore, hostId: string): Promise<LatticeCache> {
  const cache = await LatticeCache.open({ backend: new MemoryBackend(store), hostId });
  cleanups.push(() => cache.close());
  await cache.ready(10_000);
  return cache;
}

async function oldHost(prefix: string, name = "old"): Promise<SimulatedLegacyHost> {
  const host = await SimulatedLegacyHost.start({ servers: nats.url, prefix, name, getTimeoutMs: 500 });
  cleanups.push(() => host.stop());
  return host;
}

async function bridge(
  prefix: string,
  durable: LatticeCache,
  policy: LegacyPolicy = "legacy-wins",
  bridgeId = "bridge-1",
): Promise<LegacyBridge> {
  const b = new LegacyBridge({
    legacy: { servers: nats.url, prefix },
    durable,
    policy,
    bridgeId,
    importWindowMs: 300,
  });
  await b.start();
  cleanups.push(() => b.stop());
  return b;
}

/** A lattice: a memory "durable" store, the bridge's cache on it, a new host's cache on it, an old host. */
async function lattice(policy: LegacyPolicy = "legacy-wins") {
  const prefix = uniquePrefix();
  const store = new MemoryStore();
  const bridgeCache = await durableCache(store, "bridge-host");
  const newHost = await durableCache(store, "new-host");
  const old = await oldHost(prefix);
  const b = await bridge(prefix, bridgeCache, policy);
  return { prefix, store, bridgeCache, newHost, old, bridge: b };
}

const LINK = { actor_id: "MECHO", provider_id: "VHTTP", contract_id: "wasmcloud:httpserver" };
const LINK_REF = { actor_id: "MECHO", contract_id: "wasmcloud:httpserver" };

describe("rule 12: legacy puts and dels become ordered durable writes (legacy-wins)", () => {
  it("puts of every collection, updates and link definition deletes reach the durable cache", async () => {
    const { old, newHost, bridge: b } = await lattice();
    old.putLinkdef({ ...LINK, values: { port: "80" } });
    old.putClaims({ sub: "MECHO", name: "echo" });
    old.putRefmap({ oci_url: "reg.example/echo:1", public_key: "MECHO" });
    await waitFor(
      () => newHost.status().counts.refmaps === 1 && newHost.linkdefs.size === 1 && newHost.claims.size === 1,
    );
    old.putLinkdef({ ...LINK, values: { port: "81" } });
    await waitFor(() => newHost.linkdefs.get(LINK_REF)?.values.port === "81", { what: "the update" });
    old.deleteLinkdef(LINK_REF);
    await waitFor(() => newHost.linkdefs.size === 0, { what: "the delete" });
    await b.idle();
    expect(b.status().counters).toMatchObject({ imported: 5, skippedByPolicy: 0, invalid: 0, failed: 0 });
  });

  it("a put that would not change the durable value is skipped as unchanged", async () => {
    const { old, newHost, bridge: b } = await lattice();
    old.putClaims({ sub: "MSAME", name: "same" });
    await waitFor(() => newHost.claims.size === 1);
    const revision = newHost.claims.getEntry("MSAME")?.revision;
    old.putClaims({ sub: "MSAME", name: "same" });
    await old.flush();
    await waitFor(() => b.status().counters.skippedUnchanged === 1);
    expect(newHost.claims.getEntry("MSAME")?.revision).toBe(revision);
  });

  it("a legacy put overwrites a durable value written by a new host", async () => {
    const { old, newHost } = await lattice();
    await newHost.claims.put({ sub: "MWINS", name: "durable" });
    await waitFor(() => old.claims().length === 1, { what: "the old host hears the new host's write" });
    old.putClaims({ sub: "MWINS", name: "legacy" });
    await waitFor(() => newHost.claims.get("MWINS")?.name === "legacy");
  });
});

describe("rule 12: durable-wins only creates missing keys", () => {
  it("creates what is missing, refuses to overwrite, and tells old hosts the durable value again", async () => {
    const { old, newHost, bridge: b } = await lattice("durable-wins");
    old.putClaims({ sub: "MNEW", name: "from-legacy" });
    await waitFor(() => newHost.claims.get("MNEW")?.name === "from-legacy", {
      what: "a missing key is created",
    });
    await newHost.claims.put({ sub: "MKEPT", name: "durable" });
    await waitFor(() => old.claims().some((c) => c.sub === "MKEPT"));
    old.putClaims({ sub: "MKEPT", name: "legacy-edit" });
    await waitFor(() => b.status().counters.skippedByPolicy === 1, { what: "the overwrite is refused" });
    expect(newHost.claims.get("MKEPT")?.name).toBe("durable");
    await waitFor(() => old.claims().find((c) => c.sub === "MKEPT")?.name === "durable", {
      what: "the old host is corrected",
    });
  });

  it("a legacy link definition delete is refused and the link re-broadcast", async () => {
    const { old, newHost, bridge: b } = await lattice("durable-wins");
    await newHost.linkdefs.put(LINK);
    await waitFor(() => old.linkdefs().length === 1);
    old.deleteLinkdef(LINK_REF);
    await waitFor(() => b.status().counters.skippedByPolicy === 1);
    expect(newHost.linkdefs.get(LINK_REF)).toBeDefined();
    await waitFor(() => old.linkdefs().length === 1, { what: "the old host gets the link back" });
  });
});

describe("durable changes made by others are broadcast to old hosts", () => {
  it("puts and link definition deletes go out on the collection and per-provider subjects, marked by the bridge", async () => {
    const { prefix, old, newHost, bridge: b } = await lattice();
    const wire = await WireObserver.start(nats.url, prefix);
    cleanups.push(() => wire.close());
    await newHost.linkdefs.put({ ...LINK, values: { port: "80" } });
    await newHost.refmaps.put({ oci_url: "reg.example/echo:1", public_key: "MECHO" });
    await waitFor(() => old.linkdefs().length === 1 && old.refmaps().length === 1);
    await newHost.linkdefs.delete(LINK_REF);
    await waitFor(() => old.linkdefs().length === 0, { what: "the old host drops the link" });
    expect(wire.messages.map((m) => [m.subject.replace(`wasmbus.rpc.${prefix}.`, ""), m.bridge])).toEqual([
      ["linkdefs.put", "bridge-1"],
      ["VHTTP.default.linkdefs.put", "bridge-1"],
      ["refmaps.put", "bridge-1"],
      ["linkdefs.del", "bridge-1"],
      ["VHTTP.default.linkdefs.del", "bridge-1"],
    ]);
    expect(wire.on(".linkdefs.del")[0]?.body).toEqual({
      ...LINK,
      link_name: "default",
      values: { port: "80" },
    });
    expect(b.status().counters.broadcast).toBe(3);
  });

  it("a claims or reference map delete cannot be told to old hosts and is counted", async () => {
    const { old, newHost, bridge: b } = await lattice();
    await newHost.claims.put({ sub: "MGONE" });
    await waitFor(() => old.claims().length === 1);
    await newHost.claims.delete("MGONE");
    await waitFor(() => b.status().counters.unbroadcastable === 1);
    expect(old.claims().length).toBe(1);
  });

  it("what the bridge imported is not broadcast back", async () => {
    const { prefix, old, newHost, bridge: b } = await lattice();
    const wire = await WireObserver.start(nats.url, prefix);
    cleanups.push(() => wire.close());
    for (let i = 0; i < 5; i++) old.putClaims({ sub: "MBURST", name: `v${i}` });
    await waitFor(() => newHost.claims.get("MBURST")?.name === "v4");
    await b.idle();
    await client.flush();
    expect(wire.messages.filter((m) => m.bridge)).toEqual([]);
    expect(old.claims()[0]?.name).toBe("v4");
  });
});

describe(".get requests of old hosts are answered from the durable view", () => {
  it("a starting old host gets the whole durable state, in replies the bridge marks", async () => {
    const { prefix, old, newHost, bridge: b } = await lattice();
    // The bridge is to be the only member of the .get queue groups.
    await old.stop();
    await newHost.claims.put({ sub: "MDURABLE", name: "d" });
    await newHost.linkdefs.put(LINK);
    const reply = await client.request(`wasmbus.rpc.${prefix}.linkdefs.get`, Empty, { timeout: 2000 });
    expect(reply.headers?.get("Lattice-Bridge")).toBe("bridge-1");
    expect(decode(reply.data)).toEqual([{ ...LINK, link_name: "default", values: {} }]);
    const fresh = await oldHost(prefix, "fresh");
    expect(b.status().counters.answeredGets).toBe(4);
    expect(fresh.claims().map((c) => c.sub)).toEqual(["MDURABLE"]);
  });
});

describe("the start-up import", () => {
  it("creates what the old hosts hold and the durable cache lacks", async () => {
    const prefix = uniquePrefix();
    const old = await oldHost(prefix);
    old.putClaims({ sub: "MBEFORE", name: "before the bridge" });
    old.putLinkdef(LINK);
    await old.flush();
    const store = new MemoryStore();
    const durable = await durableCache(store, "bridge-host");
    await durable.claims.put({ sub: "MEXISTING", name: "kept" });
    const b = await bridge(prefix, durable);
    expect(durable.claims.get("MBEFORE")?.name).toBe("before the bridge");
    expect(durable.linkdefs.size).toBe(1);
    expect(b.status().startupImport).toMatchObject({ created: 2, failed: 0 });
    expect(b.status().counters.imported).toBe(2);
  });
});

describe("two bridges on one lattice do not loop", () => {
  it("after a burst on both sides the counters settle and stay bounded", async () => {
    const prefix = uniquePrefix();
    const store = new MemoryStore();
    const one = await bridge(prefix, await durableCache(store, "bridge-host-1"), "legacy-wins", "bridge-1");
    const two = await bridge(prefix, await durableCache(store, "bridge-host-2"), "legacy-wins", "bridge-2");
    const newHost = await durableCache(store, "new-host");
    const oldA = await oldHost(prefix, "old-a");
    const oldB = await oldHost(prefix, "old-b");
    for (let i = 0; i < 30; i++) {
      oldA.putClaims({ sub: `MLEGACY${i % 10}`, name: `a${i}` });
      oldB.putRefmap({ oci_url: `reg.example/b:${i % 10}`, public_key: `MB${i}` });
      await newHost.linkdefs.put({ ...LINK, actor_id: `MNEW${i % 10}`, values: { i: String(i) } });
    }
    await oldA.flush();
    await oldB.flush();
    const settled = async () => {
      await Promise.all([one.idle(), two.idle()]);
      return JSON.stringify([one.status().counters, two.status().counters]);
    };
    const snapshot = await waitFor(
      async () => {
        const before = await settled();
        await new Promise((r) => setTimeout(r, 500));
        return before === (await settled()) ? before : undefined;
      },
      { what: "the bridges' counters to settle" },
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(await settled()).toBe(snapshot);
    const [c1, c2] = [one.status().counters, two.status().counters];
    for (const c of [c1, c2]) {
      // Each of the 60 legacy messages is accounted for exactly once.
      expect(c.imported + c.skippedUnchanged + c.skippedByPolicy + c.superseded).toBe(60);
      // Each durable change (30 by the new host, at most 60 imports) is broadcast at most once per bridge.
      expect(c.broadcast).toBeLessThanOrEqual(90);
      expect(c.failed + c.invalid).toBe(0);
    }
    // Every bridge broadcast was heard by the other bridge and not imported.
    expect(c1.ignoredBridged).toBe(c2.broadcast);
    expect(c2.ignoredBridged).toBe(c1.broadcast);
    // And everybody agrees.
    await waitFor(() => oldA.linkdefs().length === 10 && oldB.linkdefs().length === 10);
    expect(
      newHost.claims
        .list()
        .map((c) => c.name)
        .sort(),
    ).toEqual(
      oldB
        .claims()
        .map((c) => c.name)
        .sort(),
    );
    expect(newHost.refmaps.size).toBe(10);
    expect(
      oldA
        .linkdefs()
        .map((l) => l.values.i)
        .sort(),
    ).toEqual(
      newHost.linkdefs
        .list()
        .map((l) => l.values.i)
        .sort(),
    );
  });
});

describe("rule 11: malformed legacy messages are counted and skipped", () => {
  it("garbage is counted, the bridge carries on", async () => {
    const { prefix, old, newHost, bridge: b } = await lattice();
    client.publish(`wasmbus.rpc.${prefix}.claims.put`, new Uint8Array([0xc1]));
    client.publish(`wasmbus.rpc.${prefix}.linkdefs.del`, encode({ nope: true }));
    client.publish(`wasmbus.rpc.${prefix}.refmaps.put`, encode("string"));
    old.putClaims({ sub: "MAFTER" });
    await waitFor(() => newHost.claims.size === 1);
    expect(b.status().counters.invalid).toBe(3);
    expect(b.status().state).toBe("running");
  });
});

describe("configuration", () => {
  it("refuses an unknown policy and an unordered durable side", async () => {
    const durable = await durableCache(new MemoryStore(), "x");
    expect(
      () =>
        new LegacyBridge({ legacy: { servers: nats.url }, durable, policy: "newest-wins" as LegacyPolicy }),
    ).toThrow(expect.objectContaining({ code: "CONFIGURATION", field: "policy" }));
  });
});
