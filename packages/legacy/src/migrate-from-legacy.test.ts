// One-shot migration from old hosts into a real JetStream-backed cache.
import type { LatticeCache } from "@lattice-cache/core";
import {
  disposeAll,
  type FaultProxyHandle,
  type NatsServerHandle,
  startFaultProxy,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { migrateFromLegacy } from "./migrate-from-legacy.js";
import type { MigrationProgress } from "./migration-result.js";
import { openJetStreamCache, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { SimulatedLegacyHost } from "./simulated-legacy-host.js";

let nats: NatsServerHandle;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

afterAll(async () => {
  await disposeAll();
});

function durable(prefix: string): Promise<LatticeCache> {
  return openJetStreamCache(nats.url, prefix, "new-host", cleanups);
}

async function oldHost(prefix: string, name: string, servers = nats.url): Promise<SimulatedLegacyHost> {
  const host = await SimulatedLegacyHost.start({ servers, prefix, name, getTimeoutMs: 500 });
  cleanups.push(() => host.stop());
  return host;
}

/** Two old hosts holding the same state: three link definitions, two claims, two reference maps. */
async function agreeingFleet(prefix: string): Promise<[SimulatedLegacyHost, SimulatedLegacyHost]> {
  const a = await oldHost(prefix, "old-a");
  const b = await oldHost(prefix, "old-b");
  for (const actor of ["MA", "MB", "MC"]) {
    a.putLinkdef({
      actor_id: actor,
      provider_id: "VKV",
      contract_id: "wasmcloud:keyvalue",
      values: { x: actor },
    });
  }
  a.putClaims({ sub: "MA", name: "a" });
  b.putClaims({ sub: "MX", name: "from-legacy", caps: "wasmcloud:keyvalue" });
  b.putRefmap({ oci_url: "reg.example/a:1", public_key: "MA" });
  b.putRefmap({ oci_url: "reg.example/x:1", public_key: "MX" });
  await waitFor(() => a.refmaps().length === 2 && b.linkdefs().length === 3 && b.claims().length === 2, {
    what: "the old hosts to agree",
  });
  return [a, b];
}

describe("migrateFromLegacy: gather what old hosts answer, write what is missing", () => {
  it("a dry run shows the diff, a real run writes it, a second run changes nothing", async () => {
    const prefix = uniquePrefix();
    await agreeingFleet(prefix);
    const cache = await durable(prefix);
    await cache.claims.put({ sub: "MX", name: "edited-on-a-new-host", caps: "wasmcloud:keyvalue" });
    await cache.claims.put({ sub: "MA", name: "a" });
    const revisionBefore = cache.status().revision;

    const progress: MigrationProgress[] = [];
    const dry = await migrateFromLegacy({
      servers: nats.url,
      prefix,
      durable: cache,
      windowMs: 600,
      dryRun: true,
      onProgress: (p) => progress.push(p),
    });
    expect(dry).toMatchObject({ dryRun: true, wouldCreate: 5, wouldUpdate: 0, skipped: 1, unchanged: 1 });
    expect(dry.perCollection).toEqual({
      linkdefs: { wouldCreate: 3, wouldUpdate: 0, skipped: 0, unchanged: 0 },
      claims: { wouldCreate: 0, wouldUpdate: 0, skipped: 1, unchanged: 1 },
      refmaps: { wouldCreate: 2, wouldUpdate: 0, skipped: 0, unchanged: 0 },
    });
    expect(dry.diff.find((d) => d.key === "CLAIMS_MX")).toMatchObject({
      action: "skip",
      before: { name: "edited-on-a-new-host" },
      after: { name: "from-legacy" },
    });
    expect(dry.diff.filter((d) => d.action === "create").map((d) => d.collection)).toEqual([
      "linkdefs",
      "linkdefs",
      "linkdefs",
      "refmaps",
      "refmaps",
    ]);
    expect(dry.source).toMatchObject({ kind: "legacy", records: 7, invalid: 0, conflicts: [] });
    expect(progress.some((p) => p.phase === "gathering")).toBe(true);
    expect(progress.at(-1)?.phase).toBe("done");
    expect(cache.status().revision).toBe(revisionBefore);

    const real = await migrateFromLegacy({ servers: nats.url, prefix, durable: cache, windowMs: 600 });
    expect(real).toMatchObject({
      dryRun: false,
      created: 5,
      updated: 0,
      skipped: 1,
      unchanged: 1,
      failed: 0,
    });
    expect(cache.linkdefs.size).toBe(3);
    expect(cache.refmaps.get("reg.example/x:1")?.public_key).toBe("MX");
    expect(cache.claims.get("MX")?.name).toBe("edited-on-a-new-host");

    const again = await migrateFromLegacy({ servers: nats.url, prefix, durable: cache, windowMs: 600 });
    expect(again).toMatchObject({ created: 0, updated: 0, skipped: 1, unchanged: 6, failed: 0 });

    const overwrite = await migrateFromLegacy({
      servers: nats.url,
      prefix,
      durable: cache,
      windowMs: 600,
      policy: "legacy-wins",
    });
    expect(overwrite).toMatchObject({ created: 0, updated: 1, skipped: 0, unchanged: 6 });
    expect(cache.claims.get("MX")?.name).toBe("from-legacy");
    const settled = cache.status().revision;
    const last = await migrateFromLegacy({
      servers: nats.url,
      prefix,
      durable: cache,
      windowMs: 600,
      policy: "legacy-wins",
    });
    expect(last).toMatchObject({ created: 0, updated: 0, skipped: 0, unchanged: 7 });
    expect(cache.status().revision).toBe(settled);
  });

  it("replies of several (drifted) old hosts are merged, and their disagreements reported", async () => {
    const prefix = uniquePrefix();
    const proxy: FaultProxyHandle = await startFaultProxy({ target: { port: nats.port } });
    cleanups.push(() => proxy.close());
    const a = await oldHost(prefix, "old-a");
    const b = await oldHost(prefix, "old-b-behind-proxy", proxy.url("nats"));
    a.putClaims({ sub: "MDRIFT", name: "before" });
    await waitFor(() => b.claims().length === 1);
    proxy.setMode("drop");
    await new Promise((r) => setTimeout(r, 300));
    // b misses these two broadcasts: from now on the two old hosts disagree.
    a.putClaims({ sub: "MDRIFT", name: "after" });
    a.putRefmap({ oci_url: "reg.example/only-a:1", public_key: "MONLYA" });
    await a.flush();
    proxy.setMode("pass");
    await waitFor(() => proxy.connections() > 0, { what: "b to reconnect" });
    await b.flush();
    expect(b.claims()[0]?.name).toBe("before");

    const cache = await durable(prefix);
    const result = await migrateFromLegacy({
      servers: nats.url,
      prefix,
      durable: cache,
      windowMs: 1500,
      requests: 16,
    });
    expect(result.source).toMatchObject({
      kind: "legacy",
      conflicts: [{ collection: "claims", key: "CLAIMS_MDRIFT", variants: 2 }],
    });
    if (result.source.kind === "legacy") expect(result.source.replies.claims).toBeGreaterThanOrEqual(2);
    expect(result).toMatchObject({ created: 2, failed: 0 });
    expect(cache.refmaps.get("reg.example/only-a:1")?.public_key).toBe("MONLYA");
    expect(["before", "after"]).toContain(cache.claims.get("MDRIFT")?.name);
  });

  it("nobody answering is not an error: nothing to create", async () => {
    const prefix = uniquePrefix();
    const cache = await durable(prefix);
    const result = await migrateFromLegacy({ servers: nats.url, prefix, durable: cache, windowMs: 300 });
    expect(result).toMatchObject({ created: 0, updated: 0, skipped: 0, unchanged: 0, failed: 0 });
    expect(result.source).toMatchObject({ records: 0, replies: { linkdefs: 0, claims: 0, refmaps: 0 } });
  });

  it("refuses an unknown policy before connecting", async () => {
    const cache = await durable(uniquePrefix());
    await expect(
      migrateFromLegacy({ servers: nats.url, durable: cache, policy: "durable-wins" as "create-only" }),
    ).rejects.toMatchObject({ code: "CONFIGURATION", field: "policy" });
  });
});
