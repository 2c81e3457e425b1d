// A history rewritten under the same epoch (rules 7 and 9): the bucket's store is restored from a backup
// taken before revisions a replica already applied, and other writes reuse those revisions — the stream's
// creation time (the epoch) and a last sequence past the replica's cursor hide it. nats-server 2.9 does the
// same by itself after losing two R3 nodes (docs/reliability.md). A resuming feed replays its last
// deliveries, sees that the stream now holds other messages there, and the replica resyncs.
// Rules cited here: docs/semantics.md#rule-2, #rule-7, #rule-9.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LatticeCache } from "@lattice-cache/core";
import {
  disposeAll,
  type FaultProxyHandle,
  type NatsServerHandle,
  startFaultProxy,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import {
  caughtUp,
  openCache,
  type RawClient,
  rawClient,
  recordingLogger,
  uniquePrefix,
} from "./nats-fixtures.test-helpers.js";

let server: NatsServerHandle;
let proxy: FaultProxyHandle;
let admin: RawClient | undefined;
const caches: LatticeCache[] = [];
const backup = mkdtempSync(join(tmpdir(), "lattice-history-backup-"));
const timing = { stallCheckIntervalMs: 250, stallTimeoutMs: 1500 };

beforeAll(async () => {
  server = await startNatsServer();
  proxy = await startFaultProxy({ target: { port: server.port } });
});

afterAll(async () => {
  await Promise.allSettled(caches.map((cache) => cache.close()));
  await admin?.close();
  await proxy?.close();
  await disposeAll();
  rmSync(backup, { recursive: true, force: true });
});

const claims = (sub: string, name: string) => ({ sub, iss: "AREWRITE", name, version: "1" });

/** Stops the server, lets `change` touch its store, starts it again on the same port and store. */
async function withServerStopped(change: () => void): Promise<void> {
  await server.stop();
  change();
  await server.start();
}

describe("a stream history rewritten under the same epoch (bucket restored from a backup, then written)", () => {
  it("rule 9: the resuming feed notices the reused revisions and the replica resyncs to the server's state", async () => {
    const prefix = uniquePrefix("rewrite");
    const layout = new BucketLayout(prefix);
    const logger = recordingLogger();
    // The host reaches NATS through the fault proxy, so it can be kept away while the store is swapped.
    const { cache, backend } = await openCache(
      { servers: proxy.url("nats"), prefix, hostId: "host", heartbeatMs: 1000, logger },
      { hostId: "host", timing },
    );
    caches.push(cache);
    for (let i = 1; i <= 5; i++) await cache.claims.put(claims(`MKEPT${i}`, `kept ${i}`));
    const epoch = (await backend.head()).epoch;

    // The backup: the store with revisions 1–5.
    await withServerStopped(() => cpSync(server.storeDir, backup, { recursive: true }));
    await waitFor(() => cache.status().state === "live", {
      what: "host live after the restart",
      timeoutMs: 30_000,
    });
    for (let i = 1; i <= 3; i++) await cache.claims.put(claims(`MGONE${i}`, `gone ${i}`));
    await caughtUp(cache, 8);
    const resyncsBefore = cache.status().counters.resyncs;

    // Restored while the host is cut off; a wasmCloud host then writes revisions 6–9 anew.
    proxy.setMode("blackhole");
    await withServerStopped(() => {
      rmSync(server.storeDir, { recursive: true, force: true });
      cpSync(backup, server.storeDir, { recursive: true });
    });
    admin = await rawClient(server.url);
    const kv = await admin.kv(layout.bucket);
    for (let i = 1; i <= 4; i++) {
      await kv.put(`CLAIMS_MNEW${i}`, JSON.stringify(claims(`MNEW${i}`, `new ${i}`)));
    }
    const info = await admin.jsm.streams.info(layout.stream);
    // The situation the epoch and the last sequence cannot reveal.
    expect(info.created).toBe(epoch);
    expect(info.state.last_seq).toBe(9);

    proxy.setMode("pass");
    const expected = ["MKEPT1", "MKEPT2", "MKEPT3", "MKEPT4", "MKEPT5", "MNEW1", "MNEW2", "MNEW3", "MNEW4"];
    await waitFor(
      () =>
        cache.status().state === "live" &&
        cache.status().revision === 9 &&
        JSON.stringify(
          cache.claims
            .list()
            .map((c) => c.sub)
            .sort(),
        ) === JSON.stringify(expected),
      { what: "the replica resynced to the restored and rewritten bucket", timeoutMs: 30_000 },
    );
    expect(cache.status().counters.resyncs).toBeGreaterThan(resyncsBefore);
    expect(cache.claims.get("MGONE1")).toBeUndefined();
    expect(cache.claims.get("MNEW1")?.name).toBe("new 1");
    const warning = logger.lines.find((line) => /history was rewritten/.test(JSON.stringify(line.obj)));
    expect(warning?.level).toBe("warn");
    expect(JSON.stringify(warning?.obj)).toMatch(
      /revision 6 was delivered as a change of \d+ bytes; the store now holds /,
    );

    // A replica that never saw the old history agrees, digest for digest (rule 2).
    const { cache: fresh } = await openCache(
      { servers: server.url, prefix, hostId: "fresh" },
      { hostId: "fresh" },
    );
    caches.push(fresh);
    expect(fresh.status().revision).toBe(9);
    expect(cache.status().digest).toBe(fresh.status().digest);
  }, 120_000);
});
