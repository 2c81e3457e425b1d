import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { decode } from "@msgpack/msgpack";
import { Empty, type NatsConnection } from "@nats-io/nats-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { plainConnection, uniquePrefix, WireObserver } from "./nats-fixtures.test-helpers.js";
import { SimulatedLegacyHost } from "./simulated-legacy-host.js";

let nats: NatsServerHandle;
let client: NatsConnection;
const hosts: SimulatedLegacyHost[] = [];

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false });
  client = await plainConnection(nats.url);
});

afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
});

afterAll(async () => {
  await client?.close();
  await disposeAll();
});

async function start(prefix: string, name: string): Promise<SimulatedLegacyHost> {
  const host = await SimulatedLegacyHost.start({ servers: nats.url, prefix, name, getTimeoutMs: 500 });
  hosts.push(host);
  return host;
}

describe("the simulated old host behaves as a generation-1 host", () => {
  it("broadcasts puts as MessagePack maps and every host caches what it hears", async () => {
    const prefix = uniquePrefix();
    const wire = await WireObserver.start(nats.url, prefix);
    const a = await start(prefix, "a");
    const b = await start(prefix, "b");
    a.putClaims({ sub: "MA", name: "a" });
    b.putRefmap({ oci_url: "reg/a:1", public_key: "MA" });
    a.putLinkdef({ actor_id: "MA", provider_id: "VP", contract_id: "c:x" });
    await waitFor(() => a.refmaps().length === 1 && b.claims().length === 1 && b.linkdefs().length === 1);
    expect(wire.on(".claims.put")[0]?.body).toEqual(a.claims()[0]);
    expect(wire.on(".VP.default.linkdefs.put")).toHaveLength(1);
    await wire.close();
  });

  it("a delete of a link it knows sends the full shape; an unknown link sends nothing", async () => {
    const prefix = uniquePrefix();
    const a = await start(prefix, "a");
    const b = await start(prefix, "b");
    a.putLinkdef({ actor_id: "MA", provider_id: "VP", contract_id: "c:x", values: { k: "v" } });
    await waitFor(() => b.linkdefs().length === 1);
    expect(b.deleteLinkdef({ actor_id: "MA", contract_id: "c:x" })).toBe(true);
    expect(b.deleteLinkdef({ actor_id: "MNONE", contract_id: "c:x" })).toBe(false);
    await waitFor(() => a.linkdefs().length === 0);
  });

  it("answers .get in the queue group, and a restarted host gets its state from the others", async () => {
    const prefix = uniquePrefix();
    const a = await start(prefix, "a");
    const b = await start(prefix, "b");
    a.putClaims({ sub: "MA" });
    await waitFor(() => b.claims().length === 1);
    const reply = await client.request(`wasmbus.rpc.${prefix}.claims.get`, Empty, { timeout: 2000 });
    expect(decode(reply.data)).toEqual([expect.objectContaining({ sub: "MA" })]);
    const repliesBefore = b.counters.startupReplies;
    await b.restart();
    expect(b.claims().map((c) => c.sub)).toEqual(["MA"]);
    expect(b.counters.startupReplies - repliesBefore).toBe(3);
  });

  it("a lone restarted host begins empty: its state lived in memory only", async () => {
    const a = await start(uniquePrefix(), "alone");
    a.putClaims({ sub: "MA" });
    await a.restart();
    expect(a.claims()).toEqual([]);
  });
});
