// Rules cited here: docs/semantics.md#rule-11, #rule-12.
import { LatticeCache, linkdefKey } from "@lattice-cache/core";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { decode, encode } from "@msgpack/msgpack";
import { Empty, type NatsConnection } from "@nats-io/nats-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LegacyBackend } from "./legacy-backend.js";
import { plainConnection, uniquePrefix, WireObserver } from "./nats-fixtures.test-helpers.js";
import { SimulatedLegacyHost } from "./simulated-legacy-host.js";

let nats: NatsServerHandle;
let publisher: NatsConnection;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false });
  publisher = await plainConnection(nats.url);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

afterAll(async () => {
  await publisher?.close();
  await disposeAll();
});

async function oldHost(prefix: string, name = "old"): Promise<SimulatedLegacyHost> {
  const host = await SimulatedLegacyHost.start({ servers: nats.url, prefix, name, getTimeoutMs: 500 });
  cleanups.push(() => host.stop());
  return host;
}

async function legacyCache(
  prefix: string,
  hostId = "new-on-legacy",
): Promise<{ cache: LatticeCache; backend: LegacyBackend }> {
  const backend = new LegacyBackend({ servers: nats.url, prefix, hostId, getTimeoutMs: 1000 });
  const cache = await LatticeCache.open({ backend, hostId });
  cleanups.push(() => cache.close());
  await cache.ready(10_000);
  return { cache, backend };
}

async function observer(prefix: string): Promise<WireObserver> {
  const o = await WireObserver.start(nats.url, prefix);
  cleanups.push(() => o.close());
  return o;
}

const ECHO_LINK = {
  actor_id: "MECHO",
  provider_id: "VHTTP",
  contract_id: "wasmcloud:httpserver",
  values: { port: "8080" },
};

describe("the legacy backend declares what generation 1 can do", () => {
  it("is unordered, not durable, without compare-and-swap, history or ttl", () => {
    const backend = new LegacyBackend({ servers: nats.url });
    expect(backend.name).toBe("legacy");
    expect(backend.capabilities).toEqual({
      ordered: false,
      durable: false,
      compareAndSwap: false,
      history: false,
      ttl: false,
      pushed: true,
      revisionsRestart: false,
    });
  });

  it("refuses a conditional write as unsupported and publishes nothing", async () => {
    const prefix = uniquePrefix();
    const wire = await observer(prefix);
    const { backend } = await legacyCache(prefix);
    const value = new TextEncoder().encode(JSON.stringify({ oci_url: "r/a:1", public_key: "MA" }));
    await expect(
      backend.write({ key: "REFMAP_ci9hOjE", value, expectedRevision: 0, origin: "t" }),
    ).rejects.toMatchObject({ code: "UNSUPPORTED" });
    await publisher.flush();
    expect(wire.messages).toEqual([]);
  });
});

describe("start-up: the three .get requests, as old hosts sent them", () => {
  it("seeds the replica from an old host's replies", async () => {
    const prefix = uniquePrefix();
    const old = await oldHost(prefix);
    old.putLinkdef(ECHO_LINK);
    old.putClaims({ sub: "MECHO", name: "echo", caps: "wasmcloud:httpserver" });
    old.putRefmap({ oci_url: "reg.example/echo:0.3.4", public_key: "MECHO" });
    await old.flush();
    const { cache, backend } = await legacyCache(prefix);
    expect(cache.linkdefs.get({ actor_id: "MECHO", contract_id: "wasmcloud:httpserver" })?.values).toEqual({
      port: "8080",
    });
    expect(cache.claims.get("MECHO")?.caps).toBe("wasmcloud:httpserver");
    expect(cache.refmaps.get("reg.example/echo:0.3.4")?.public_key).toBe("MECHO");
    expect(backend.counters).toMatchObject({ seeded: 3, unansweredGets: 0 });
  });

  it("begins empty when nobody answers", async () => {
    const { cache, backend } = await legacyCache(uniquePrefix());
    expect(cache.status().counts).toEqual({ linkdefs: 0, claims: 0, refmaps: 0 });
    expect(backend.counters.unansweredGets).toBe(3);
  });

  it("then answers other hosts' .get requests from its state, in the queue group named by the subject", async () => {
    const prefix = uniquePrefix();
    const { cache, backend } = await legacyCache(prefix);
    await cache.claims.put({ sub: "MANSWER", name: "answer" });
    const reply = await publisher.request(`wasmbus.rpc.${prefix}.claims.get`, Empty, { timeout: 2000 });
    expect(decode(reply.data)).toEqual([expect.objectContaining({ sub: "MANSWER", name: "answer" })]);
    const late = await oldHost(prefix, "late");
    expect(late.claims().map((c) => c.sub)).toEqual(["MANSWER"]);
    expect(backend.counters.answeredGets).toBeGreaterThanOrEqual(2);
  });
});

describe("rule 12: broadcasts are applied in arrival order", () => {
  it("puts and link definition deletes from old hosts reach the replica, with increasing local revisions", async () => {
    const prefix = uniquePrefix();
    const { cache, backend } = await legacyCache(prefix);
    const old = await oldHost(prefix);
    const revisions: number[] = [];
    cache.onChange((e) => revisions.push(e.revision));
    old.putLinkdef(ECHO_LINK);
    old.putClaims({ sub: "MECHO", name: "echo" });
    old.putClaims({ sub: "MECHO", name: "echo-2" });
    old.deleteLinkdef(ECHO_LINK);
    await waitFor(() => revisions.length === 4, { what: "four changes" });
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(cache.claims.get("MECHO")?.name).toBe("echo-2");
    expect(cache.linkdefs.size).toBe(0);
    expect(backend.counters.received).toBe(4);
  });

  it("its own broadcasts are not heard back (noEcho)", async () => {
    const prefix = uniquePrefix();
    const wire = await observer(prefix);
    const { cache, backend } = await legacyCache(prefix);
    const before = backend.counters.received;
    const outcome = await cache.refmaps.put({ oci_url: "reg.example/own:1", public_key: "MOWN" });
    await waitFor(() => wire.on(".refmaps.put").length === 1);
    await publisher.flush();
    expect(backend.counters.received).toBe(before);
    expect((await backend.head()).revision).toBe(outcome.revision);
  });
});

describe("writes are broadcast in the generation 1 wire format", () => {
  it("a link definition goes to linkdefs.put and to the provider's own subject, as a map without id", async () => {
    const prefix = uniquePrefix();
    const wire = await observer(prefix);
    const old = await oldHost(prefix);
    const { cache } = await legacyCache(prefix);
    await cache.linkdefs.put(ECHO_LINK);
    const expected = { ...ECHO_LINK, link_name: "default" };
    await waitFor(() => wire.messages.length === 2, { what: "two broadcasts" });
    expect(wire.messages.map((m) => m.subject).sort()).toEqual([
      `wasmbus.rpc.${prefix}.VHTTP.default.linkdefs.put`,
      `wasmbus.rpc.${prefix}.linkdefs.put`,
    ]);
    for (const m of wire.messages) expect(m.body).toEqual(expected);
    await waitFor(() => old.linkdefs().length === 1, { what: "the old host caches it" });
    expect(old.linkdefs()).toEqual([expected]);
  });

  it("a link definition delete sends the full shape on linkdefs.del and the provider's subject", async () => {
    const prefix = uniquePrefix();
    const wire = await observer(prefix);
    const old = await oldHost(prefix);
    const { cache } = await legacyCache(prefix);
    await cache.linkdefs.put(ECHO_LINK);
    await waitFor(() => old.linkdefs().length === 1);
    await cache.linkdefs.delete({ actor_id: "MECHO", contract_id: "wasmcloud:httpserver" });
    await waitFor(() => wire.on(".linkdefs.del").length === 2, { what: "two delete broadcasts" });
    for (const m of wire.on(".linkdefs.del")) expect(m.body).toEqual({ ...ECHO_LINK, link_name: "default" });
    await waitFor(() => old.linkdefs().length === 0, { what: "the old host drops it" });
  });

  it("claims and reference maps cannot be deleted: generation 1 has no subject for it", async () => {
    const prefix = uniquePrefix();
    const wire = await observer(prefix);
    const { cache } = await legacyCache(prefix);
    await cache.claims.put({ sub: "MKEEP" });
    await cache.refmaps.put({ oci_url: "reg.example/keep:1", public_key: "MKEEP" });
    await expect(cache.claims.delete("MKEEP")).rejects.toMatchObject({
      code: "UNSUPPORTED",
      message: expect.stringContaining("generation-1 protocol has no claims.del subject"),
    });
    await expect(cache.refmaps.delete("reg.example/keep:1")).rejects.toMatchObject({ code: "UNSUPPORTED" });
    // The puts travel on the cache's own connection: wait for the last one before checking nothing else came.
    await waitFor(() => wire.on(".refmaps.put").length === 1, { what: "the refmaps put broadcast" });
    await publisher.flush();
    expect(wire.messages.map((m) => m.subject.split(".").slice(-2).join("."))).toEqual([
      "claims.put",
      "refmaps.put",
    ]);
    expect(cache.claims.get("MKEEP")).toBeDefined();
  });
});

describe("rule 11: malformed broadcasts are counted and skipped", () => {
  it("garbage on every subject is counted, logged once and never reaches the replica", async () => {
    const prefix = uniquePrefix();
    const { cache, backend } = await legacyCache(prefix);
    const base = `wasmbus.rpc.${prefix}`;
    publisher.publish(`${base}.linkdefs.put`, new Uint8Array([0xc1, 0x00]));
    publisher.publish(`${base}.linkdefs.del`, encode({ actor_id: "Mx" }));
    publisher.publish(`${base}.claims.put`, encode(["not", "a", "map"]));
    publisher.publish(`${base}.refmaps.put`, new TextEncoder().encode('{"oci_url":"json"}'));
    publisher.publish(`${base}.refmaps.put`, encode({ oci_url: "reg.example/ok:1", public_key: "MOK" }));
    await waitFor(() => cache.refmaps.size === 1, { what: "the valid message" });
    expect(backend.counters.invalid).toBe(4);
    expect(backend.describe()).toMatchObject({ counters: expect.objectContaining({ invalid: 4 }) });
    expect(cache.status().counts).toEqual({ linkdefs: 0, claims: 0, refmaps: 1 });
    expect(cache.status().state).toBe("live");
  });

  it("invalid items of a .get reply are counted and the valid ones kept", async () => {
    const prefix = uniquePrefix();
    const sub = publisher.subscribe(`wasmbus.rpc.${prefix}.linkdefs.get`, {
      queue: `wasmbus.rpc.${prefix}.linkdefs.get`,
      callback: (_e, m) => {
        m.respond(encode([ECHO_LINK, { actor_id: "broken" }, 42]));
      },
    });
    cleanups.push(async () => sub.unsubscribe());
    await publisher.flush();
    const { cache, backend } = await legacyCache(prefix);
    expect(cache.linkdefs.list().map((l) => l.actor_id)).toEqual(["MECHO"]);
    expect(backend.counters.invalid).toBe(2);
    expect(cache.linkdefs.entryByKey(linkdefKey("MECHO", "wasmcloud:httpserver", "default"))).toBeDefined();
  });
});
