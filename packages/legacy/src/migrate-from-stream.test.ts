// One-shot migration from a real generation-2 `LATTICECACHE_{prefix}` stream into a JetStream-backed cache.
import { type LatticeCache, linkdefKey, refmapKey } from "@lattice-cache/core";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { migrateFromStream } from "./migrate-from-stream.js";
import type { MigrationProgress } from "./migration-result.js";
import { openJetStreamCache, plainConnection, uniquePrefix } from "./nats-fixtures.test-helpers.js";

let nats: NatsServerHandle;
let nc: NatsConnection;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await plainConnection(nats.url);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

afterAll(async () => {
  await nc?.close();
  await disposeAll();
});

function durable(prefix: string): Promise<LatticeCache> {
  return openJetStreamCache(nats.url, prefix, "new-host", cleanups);
}

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** A generation-2 stream exactly as the OTP host's first JetStream implementation configured and filled it. */
async function generation2Stream(prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: `LATTICECACHE_${prefix}`,
    subjects: [`lc.${prefix}.>`],
    max_msgs_per_subject: 1,
    storage: StorageType.Memory,
    num_replicas: 1,
  });
  const js = jetstream(nc);
  const link = (actor: string, extra: Record<string, unknown>) => ({
    id: `uuid-${actor}`,
    actor_id: actor,
    provider_id: "VKV",
    link_name: "default",
    contract_id: "wasmcloud:keyvalue",
    values: { actor },
    ...extra,
  });
  await js.publish(
    `lc.${prefix}.claims.MECHO`,
    json({ sub: "MECHO", name: "echo-old", caps: ["a"], rev: 1 }),
  );
  // max_msgs_per_subject 1: only this second version is left.
  await js.publish(
    `lc.${prefix}.claims.MECHO`,
    json({ sub: "MECHO", name: "echo", caps: ["a", "b"], rev: 2 }),
  );
  await js.publish(`lc.${prefix}.linkdefs.uuid-MLIVE`, json(link("MLIVE", { deleted: false })));
  await js.publish(`lc.${prefix}.linkdefs.uuid-MGONE`, json(link("MGONE", { deleted: true })));
  await js.publish(
    `lc.${prefix}.refmap.${b64("reg.example/echo:1")}`,
    json({ oci_url: "reg.example/echo:1", public_key: "MECHO" }),
  );
  await js.publish(
    `lc.${prefix}.ocimap.${b64("reg.example/older:1")}`,
    json({ oci_url: "reg.example/older:1", public_key: "MOLD" }),
  );
  await js.publish(`lc.${prefix}.claims.MBROKEN`, new TextEncoder().encode("not json"));
}

describe("migrateFromStream: the generation-2 LATTICECACHE stream", () => {
  it("dry run, real run, second run: recomputed ids, deleted links skipped, ocimap read, source kept", async () => {
    const prefix = uniquePrefix();
    await generation2Stream(prefix);
    const cache = await durable(prefix);

    const progress: MigrationProgress[] = [];
    const dry = await migrateFromStream({
      servers: nats.url,
      prefix,
      durable: cache,
      dryRun: true,
      onProgress: (p) => progress.push(p),
    });
    expect(dry).toMatchObject({ dryRun: true, wouldCreate: 4, wouldUpdate: 0, skipped: 0, unchanged: 0 });
    expect(dry.source).toMatchObject({
      kind: "stream",
      stream: `LATTICECACHE_${prefix}`,
      found: true,
      messages: 6,
      records: 4,
      deletedSkipped: 1,
      invalid: 1,
      sourceDeleted: false,
    });
    expect(dry.diff.map((d) => d.key)).toEqual([
      linkdefKey("MLIVE", "wasmcloud:keyvalue", "default"),
      "CLAIMS_MECHO",
      ...[refmapKey("reg.example/echo:1"), refmapKey("reg.example/older:1")].sort(),
    ]);
    expect(progress.some((p) => p.phase === "reading")).toBe(true);
    expect(cache.status().counts).toEqual({ linkdefs: 0, claims: 0, refmaps: 0 });

    const real = await migrateFromStream({ servers: nats.url, prefix, durable: cache });
    expect(real).toMatchObject({ dryRun: false, created: 4, updated: 0, failed: 0 });
    expect(cache.linkdefs.get({ actor_id: "MLIVE", contract_id: "wasmcloud:keyvalue" })).toMatchObject({
      id: linkdefKey("MLIVE", "wasmcloud:keyvalue", "default").slice("LINKDEF_".length),
      values: { actor: "MLIVE" },
    });
    expect(cache.linkdefs.get({ actor_id: "MGONE", contract_id: "wasmcloud:keyvalue" })).toBeUndefined();
    expect(cache.claims.get("MECHO")).toMatchObject({ name: "echo", caps: "a,b", rev: "2" });
    expect(cache.refmaps.get("reg.example/older:1")?.public_key).toBe("MOLD");

    const revision = cache.status().revision;
    const again = await migrateFromStream({
      servers: nats.url,
      prefix,
      durable: cache,
      policy: "legacy-wins",
    });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 4, failed: 0 });
    expect(cache.status().revision).toBe(revision);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(`LATTICECACHE_${prefix}`)).state.messages).toBe(6);
  });

  it("deleteSource removes the old stream after a clean run, and a missing stream is reported, not thrown", async () => {
    const prefix = uniquePrefix();
    await generation2Stream(prefix);
    const cache = await durable(prefix);
    const phases: string[] = [];
    const result = await migrateFromStream({
      servers: nats.url,
      prefix,
      durable: cache,
      deleteSource: true,
      onProgress: (p) => phases.push(p.phase),
    });
    expect(result).toMatchObject({ created: 4, source: { sourceDeleted: true } });
    expect(phases).toContain("deleting-source");
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.info(`LATTICECACHE_${prefix}`)).rejects.toThrow();

    const missing = await migrateFromStream({
      servers: nats.url,
      prefix,
      durable: cache,
      deleteSource: true,
    });
    expect(missing).toMatchObject({
      created: 0,
      unchanged: 0,
      source: { found: false, messages: 0, sourceDeleted: false },
    });
  });

  it("a dry run never deletes the source", async () => {
    const prefix = uniquePrefix();
    await generation2Stream(prefix);
    const cache = await durable(prefix);
    const dry = await migrateFromStream({
      servers: nats.url,
      prefix,
      durable: cache,
      dryRun: true,
      deleteSource: true,
    });
    expect(dry.source).toMatchObject({ sourceDeleted: false });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(`LATTICECACHE_${prefix}`)).state.messages).toBe(6);
  });
});
