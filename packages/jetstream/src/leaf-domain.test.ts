// Hub + leaf node with JetStream domains: the bucket lives in the hub's domain and hosts on the leaf reach
// it with jsDomain (API prefix $JS.hub.API) — the setup that broke real deployments.
import type { LatticeCache } from "@lattice-cache/core";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { inspectJetStream } from "./inspect-jetstream.js";
import {
  caughtUp,
  openCache,
  type RawClient,
  rawClient,
  uniquePrefix,
} from "./nats-fixtures.test-helpers.js";

let hub: NatsServerHandle;
let leaf: NatsServerHandle;
let hubAdmin: RawClient;
let leafAdmin: RawClient;
const caches: LatticeCache[] = [];

beforeAll(async () => {
  hub = await startNatsServer({ jetstreamDomain: "hub", leafnodes: { listenPort: 0 } });
  // The leaf runs its own JetStream in domain "leaf", as edge deployments do.
  leaf = await startNatsServer({
    jetstreamDomain: "leaf",
    leafnodes: { remotes: [`nats-leaf://127.0.0.1:${hub.leafnodePort}`] },
  });
  await waitFor(async () => ((await leaf.monitor("/leafz")) as { leafnodes?: number }).leafnodes === 1, {
    what: "the leaf node connection",
  });
  hubAdmin = await rawClient(hub.url);
  leafAdmin = await rawClient(leaf.url);
});

afterAll(async () => {
  await Promise.allSettled(caches.map((c) => c.close()));
  await hubAdmin?.close();
  await leafAdmin?.close();
  await disposeAll();
});

describe("JetStream domains: a bucket in the hub's domain used from a leaf node", () => {
  it("a host on the leaf with jsDomain creates and uses the hub's bucket; a host on the hub sees the same data", async () => {
    const prefix = uniquePrefix("dom");
    const layout = new BucketLayout(prefix);
    const { cache: onLeaf } = await openCache({
      servers: leaf.url,
      prefix,
      jsDomain: "hub",
      hostId: "leaf-host",
    });
    const { cache: onHub } = await openCache({ servers: hub.url, prefix, hostId: "hub-host" });
    caches.push(onLeaf, onHub);

    // The stream exists in the hub's domain only, and its subjects carry no domain.
    const info = await hubAdmin.jsm.streams.info(layout.stream);
    expect(info.config.subjects).toEqual([`$KV.${layout.bucket}.>`]);
    await expect(leafAdmin.jsm.streams.info(layout.stream)).rejects.toThrow(/stream not found/);

    const fromLeaf = await onLeaf.linkdefs.put({
      actor_id: "Mleaf",
      provider_id: "Vp",
      contract_id: "wasmcloud:httpserver",
    });
    await caughtUp(onHub, fromLeaf.revision);
    expect(onHub.linkdefs.byActor("Mleaf")).toHaveLength(1);

    const fromHub = await onHub.claims.put({ sub: "MHUB", iss: "A", name: "hub" });
    await caughtUp(onLeaf, fromHub.revision);
    expect(onLeaf.claims.get("MHUB")?.name).toBe("hub");

    // Compare-and-swap works across the domain boundary too.
    await expect(
      onLeaf.claims.put({ sub: "MHUB", iss: "A", name: "again" }, { expectedRevision: 0 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      currentRevision: fromHub.revision,
    });
    expect(onLeaf.status().details).toMatchObject({ jsDomain: "hub", bucket: layout.bucket });
  });

  it("doctor: from the leaf with jsDomain all is well; without it, the local-domain trap is named", async () => {
    const prefix = uniquePrefix("doc");
    const { cache } = await openCache({ servers: hub.url, prefix, hostId: "hub-host" });
    caches.push(cache);
    const good = await inspectJetStream({ servers: leaf.url, prefix, jsDomain: "hub" });
    expect(good).toMatchObject({
      ok: true,
      jetstreamEnabled: true,
      reportedDomain: "hub",
      apiPrefix: "$JS.hub.API",
    });
    expect(good.bucket.exists).toBe(true);
    const trap = await inspectJetStream({ servers: leaf.url, prefix });
    expect(trap.reportedDomain).toBe("leaf");
    expect(trap.bucket.exists).toBe(false);
    expect(trap.findings.map((f) => f.code)).toContain("LOCAL_DOMAIN");
    expect(trap.findings.find((f) => f.code === "LOCAL_DOMAIN")?.fix).toMatch(/set nats\.jsDomain/);
  });
});
