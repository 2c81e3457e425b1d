// Durability on a real file-storage server: kill -9 with writers in flight loses no acknowledged write,
// clients reconnect without limit, replicas converge; a memory bucket lost on restart is a resync.
// Rules cited here: docs/semantics.md#rule-9.
import type { LatticeCache } from "@lattice-cache/core";
import { BackendUnavailableError } from "@lattice-cache/core/backend";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { openCache, type RawClient, rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";

let server: NatsServerHandle;
const caches: LatticeCache[] = [];
const timing = { stallCheckIntervalMs: 250, stallTimeoutMs: 1500 };

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await Promise.allSettled(caches.map((c) => c.close()));
  await disposeAll();
});

async function hosts(
  prefix: string,
  n: number,
  bucket?: { storage: "file" | "memory" },
): Promise<LatticeCache[]> {
  const opened: LatticeCache[] = [];
  for (let i = 0; i < n; i++) {
    const { cache } = await openCache(
      {
        servers: server.url,
        prefix,
        hostId: `host${i}`,
        heartbeatMs: 1000,
        writeDeadlineMs: 3000,
        ...(bucket ? { bucket } : {}),
      },
      { hostId: `host${i}`, timing },
    );
    opened.push(cache);
    caches.push(cache);
  }
  return opened;
}

async function converged(list: LatticeCache[], admin: RawClient, layout: BucketLayout): Promise<void> {
  await waitFor(
    async () => {
      const head = (await admin.jsm.streams.info(layout.stream)).state.last_seq;
      const statuses = list.map((c) => c.status());
      return (
        statuses.every((s) => s.state === "live" && s.revision >= head) &&
        new Set(statuses.map((s) => s.digest)).size === 1
      );
    },
    { what: "every replica live, caught up and equal", timeoutMs: 30_000, intervalMs: 250 },
  );
}

describe("kill -9 of a file-storage server", () => {
  it("loses no acknowledged write; hosts reconnect after more than 10 attempts; replicas converge", async () => {
    const prefix = uniquePrefix("kill");
    const layout = new BucketLayout(prefix);
    const [a, b, reader] = await hosts(prefix, 3);
    const acknowledged = new Map<string, number>();
    let failures = 0;
    let stop = false;
    const writer = async (cache: LatticeCache, name: string, lane: number) => {
      for (let i = 0; !stop; i++) {
        const sub = `M${name}L${lane}N${i}`;
        try {
          const { revision } = await cache.claims.put({ sub, iss: "AKILL", name: sub, version: "1" });
          acknowledged.set(sub, revision);
        } catch (error) {
          expect(error).toBeInstanceOf(BackendUnavailableError);
          failures += 1;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    // Many writes in flight from two hosts when the server dies.
    const writers = [a, b].flatMap((cache, h) =>
      Array.from({ length: 8 }, (_, lane) => writer(cache as LatticeCache, `H${h}`, lane)),
    );
    await waitFor(() => acknowledged.size >= 200, { what: "writes before the kill", timeoutMs: 20_000 });
    await server.kill("SIGKILL");
    const beforeRestart = acknowledged.size;
    // nats.js would give up after 10 attempts by default; ours must keep trying (1 s apart).
    await new Promise((r) => setTimeout(r, 12_000));
    expect(failures).toBeGreaterThan(0);
    await server.restart();
    await waitFor(() => acknowledged.size > beforeRestart + 50, {
      what: "writes after the restart",
      timeoutMs: 30_000,
    });
    stop = true;
    await Promise.all(writers);

    const admin = await rawClient(server.url);
    try {
      for (const [sub, revision] of acknowledged) {
        const stored = await admin.jsm.direct.getMessage(layout.stream, {
          last_by_subj: layout.keySubject(`CLAIMS_${sub}`),
        });
        expect(stored?.seq, sub).toBe(revision);
      }
      await converged([a as LatticeCache, b as LatticeCache, reader as LatticeCache], admin, layout);
      for (const [sub, revision] of acknowledged)
        expect(reader?.claims.getEntry(sub)?.revision).toBe(revision);
    } finally {
      await admin.close();
    }
  });
});

describe("rule 9: a memory bucket lost with its server", () => {
  it("is created again on restart; every replica resyncs to the new (empty) history and goes on", async () => {
    const prefix = uniquePrefix("mem");
    const layout = new BucketLayout(prefix);
    const list = await hosts(prefix, 2, { storage: "memory" });
    const [a, b] = list as [LatticeCache, LatticeCache];
    await a.refmaps.put({ oci_url: "mem:1", public_key: "MMEM" });
    await waitFor(() => b.refmaps.get("mem:1") !== undefined, { what: "replicated" });
    await server.kill("SIGKILL");
    await server.restart();
    await waitFor(() => a.refmaps.list().length === 0 && b.refmaps.list().length === 0, {
      what: "both replicas to drop the lost history",
      timeoutMs: 30_000,
    });
    await waitFor(() => a.status().state === "live", { what: "a live again", timeoutMs: 30_000 });
    const { revision } = await a.refmaps.put({ oci_url: "mem:2", public_key: "MMEM2" });
    expect(revision).toBe(1);
    const admin = await rawClient(server.url);
    try {
      await converged(list, admin, layout);
    } finally {
      await admin.close();
    }
    expect(a.status().counters.resyncs + b.status().counters.resyncs).toBeGreaterThan(0);
  });
});
