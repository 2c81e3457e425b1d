// The feed against a real server: snapshot + barrier (rule 8), resume and gaps (rule 9), and a feed that
// survives lost consumers, vanished buckets and dropped connections (rules 9 and 10).
// Rules cited here: docs/semantics.md#rule-1, #rule-8, #rule-9, #rule-10.
import { LatticeCache } from "@lattice-cache/core";
import type { FeedPosition, FeedSubscription } from "@lattice-cache/core/backend";
import {
  disposeAll,
  type NatsServerHandle,
  startFaultProxy,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { jetstream } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import {
  caughtUp,
  openCache,
  type RawClient,
  type RecordingSink,
  rawClient,
  recordingSink,
  uniquePrefix,
} from "./nats-fixtures.test-helpers.js";
import { JETSTREAM_DEFAULTS } from "./options.js";
import { StallableJetStreamBackend } from "./stallable-backend.test-helpers.js";

let server: NatsServerHandle;
let admin: RawClient;
const cleanup: Array<() => Promise<unknown>> = [];
const text = (v: Uint8Array | null) => (v === null ? null : new TextDecoder().decode(v));

async function openBackend(
  prefix: string,
  extra: Partial<ConstructorParameters<typeof JetStreamBackend>[0]> = {},
) {
  const backend = new JetStreamBackend({ servers: server.url, prefix, heartbeatMs: 1000, ...extra });
  await backend.open();
  cleanup.push(() => backend.close());
  return backend;
}

function follow(
  backend: JetStreamBackend,
  from: number | FeedPosition,
  sink = recordingSink(),
): { sink: RecordingSink; sub: FeedSubscription } {
  const sub = backend.subscribe(typeof from === "number" ? { revision: from } : from, sink);
  cleanup.push(() => sub.close());
  return { sink, sub };
}

/** Raw writes the way any KV client makes them; returns the revision. */
async function rawPut(layout: BucketLayout, key: string, value: string): Promise<number> {
  return (await jetstream(admin.nc).publish(layout.keySubject(key), new TextEncoder().encode(value))).seq;
}

async function rawMarker(layout: BucketLayout, key: string, op: "DEL" | "PURGE"): Promise<number> {
  const h = headers();
  h.set("KV-Operation", op);
  if (op === "PURGE") h.set("Nats-Rollup", "sub");
  return (await jetstream(admin.nc).publish(layout.keySubject(key), new Uint8Array(), { headers: h })).seq;
}

beforeAll(async () => {
  server = await startNatsServer();
  admin = await rawClient(server.url);
});

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  await admin?.close();
  await disposeAll();
});

describe("rule 8: initial-sync barrier", () => {
  it("an empty bucket syncs at once, at revision 0", async () => {
    const backend = await openBackend(uniquePrefix());
    const { sink } = follow(backend, 0);
    await waitFor(() => sink.heads.length === 1, { what: "synced" });
    expect(sink.heads[0]?.revision).toBe(0);
    expect(sink.entries).toEqual([]);
  });

  it("the snapshot is the last message of every key, tombstones (DEL and PURGE) included, then synced at the last sequence", async () => {
    const prefix = uniquePrefix();
    const backend = await openBackend(prefix);
    const layout = new BucketLayout(prefix);
    await rawPut(layout, "CLAIMS_A", "a1");
    await rawPut(layout, "CLAIMS_B", "b1");
    const a2 = await rawPut(layout, "CLAIMS_A", "a2");
    await rawPut(layout, "CLAIMS_C", "c1");
    const cDel = await rawMarker(layout, "CLAIMS_C", "DEL");
    const bPurge = await rawMarker(layout, "CLAIMS_B", "PURGE");
    const { sink } = follow(backend, 0);
    await waitFor(() => sink.heads.length === 1, { what: "synced" });
    expect(sink.heads[0]?.revision).toBe(bPurge);
    expect(sink.entries.map((e) => [e.key, text(e.value), e.revision])).toEqual([
      ["CLAIMS_A", "a2", a2],
      ["CLAIMS_C", null, cDel],
      ["CLAIMS_B", null, bPurge],
    ]);
  });

  it("writes racing with the snapshot are neither lost nor delivered twice", async () => {
    const prefix = uniquePrefix();
    const backend = await openBackend(prefix);
    const layout = new BucketLayout(prefix);
    const expected = new Map<string, string>();
    for (let k = 0; k < 97; k++) {
      expected.set(`CLAIMS_K${k}`, "v0");
      await rawPut(layout, `CLAIMS_K${k}`, "v0");
    }
    let last = 0;
    // Rewrites every key again and again while the snapshot streams: with history 1 a key's message can
    // be replaced after the consumer was made and before it gets there.
    const writer = (async () => {
      for (let i = 1; i <= 600; i++) {
        const key = `CLAIMS_K${i % 97}`;
        const value = `v${i}`;
        expected.set(key, value);
        last = await rawPut(layout, key, value);
      }
    })();
    await new Promise((r) => setTimeout(r, 30));
    const { sink } = follow(backend, 0);
    let keysAtSync: Set<string> | undefined;
    const synced = sink.synced;
    sink.synced = (head) => {
      keysAtSync = new Set(sink.entries.map((e) => e.key));
      synced(head);
    };
    await writer;
    await waitFor(() => sink.entries.at(-1)?.revision === last, {
      what: `revision ${last}`,
      timeoutMs: 20_000,
    });
    // Rule 8: every key that existed when the feed started is in the replica when it says synced.
    expect(keysAtSync?.size).toBe(97);
    const revisions = sink.entries.map((e) => e.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(revisions.length);
    const state = new Map<string, string | null>();
    for (const e of sink.entries) state.set(e.key, text(e.value));
    expect(state).toEqual(expected);
    expect(sink.heads).toHaveLength(1);
  });

  it("caches opened while another host writes all converge to the same digest", async () => {
    const prefix = uniquePrefix();
    const { cache: writer } = await openCache({ servers: server.url, prefix, hostId: "w" });
    cleanup.push(() => writer.close());
    const writes = (async () => {
      for (let i = 0; i < 150; i++) {
        await writer.refmaps.put({ oci_url: `ghcr.io/org/img${i % 40}:${i}`, public_key: `MK${i}` });
        if (i % 7 === 0) await writer.refmaps.delete(`ghcr.io/org/img${i % 40}:${i}`);
      }
    })();
    const readers = await Promise.all(
      [0, 1, 2].map(async (i) => {
        await new Promise((r) => setTimeout(r, i * 40));
        const { cache } = await openCache({ servers: server.url, prefix, hostId: `r${i}` });
        cleanup.push(() => cache.close());
        return cache;
      }),
    );
    await writes;
    const head = writer.status().revision;
    for (const r of readers) await caughtUp(r, head);
    const digests = new Set([writer, ...readers].map((c) => c.status().digest));
    expect(digests.size).toBe(1);
  });
});

describe("rule 8: the snapshot's consumer (docs/semantics.md#rule-8)", () => {
  it("asks for every message when the bucket keeps one revision per key, and for the last per key otherwise", async () => {
    for (const history of [1, 5]) {
      const prefix = uniquePrefix(`snap${history}`);
      const backend = await openBackend(prefix, { bucket: { history } });
      const layout = new BucketLayout(prefix);
      await rawPut(layout, "CLAIMS_MSNAP", "{}");
      const { sink } = follow(backend, 0);
      await waitFor(() => sink.heads.length === 1 || undefined, { what: "the snapshot to sync" });
      const policies: string[] = [];
      for await (const c of admin.jsm.consumers.list(layout.stream)) policies.push(c.config.deliver_policy);
      expect(policies, `history ${history}`).toEqual([history === 1 ? "all" : "last_per_subject"]);
    }
  });
});

describe("rule 1 with one revision per key (history 1, the wasmCloud layout)", () => {
  it("a burst of writes to one key arrives folded: in revision order, never twice, ending with the last write", async () => {
    const prefix = uniquePrefix();
    const backend = await openBackend(prefix);
    const layout = new BucketLayout(prefix);
    const { sink } = follow(backend, 0);
    await waitFor(() => sink.heads.length === 1, { what: "synced" });
    const revisions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => rawPut(layout, "CLAIMS_MBURST", `w${i}`)),
    );
    const last = Math.max(...revisions);
    await waitFor(() => sink.entries.at(-1)?.revision === last, { what: "the last write" });
    const seen = sink.entries.map((e) => e.revision);
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
    for (const r of seen) expect(revisions).toContain(r);
  });
});

describe("rule 9: resuming and gaps", () => {
  it("resuming after a revision delivers every later change, then synced", async () => {
    const prefix = uniquePrefix();
    const backend = await openBackend(prefix);
    const layout = new BucketLayout(prefix);
    for (let i = 1; i <= 10; i++) await rawPut(layout, `REFMAP_k${i}`, `v${i}`);
    const { sink } = follow(backend, 6);
    await waitFor(() => sink.heads.length === 1, { what: "synced" });
    expect(sink.entries.map((e) => e.revision)).toEqual([7, 8, 9, 10]);
    expect(sink.heads[0]?.revision).toBe(10);
    await rawPut(layout, "REFMAP_k11", "live");
    await waitFor(() => sink.entries.at(-1)?.revision === 11, { what: "live entry" });
  });

  it("resuming after the bucket was recreated is a gap, never a silent mix of two histories", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    const backend = await openBackend(prefix);
    for (let i = 1; i <= 3; i++) await rawPut(layout, `REFMAP_k${i}`, `v${i}`);
    const first = follow(backend, 0);
    await waitFor(() => first.sink.heads.length === 1, { what: "synced" });
    await first.sub.close();
    await admin.jsm.streams.delete(layout.stream);
    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    for (let i = 1; i <= 5; i++) await rawPut(layout, `REFMAP_n${i}`, `n${i}`);
    const resumed = follow(backend, { revision: 3, epoch: first.sink.heads[0]?.epoch });
    await waitFor(() => resumed.sink.gaps.length === 1, { what: "gap" });
    expect(resumed.sink.gaps[0]).toMatch(/history changed/);
    expect(resumed.sink.entries).toEqual([]);
  });

  it("a bucket recreated while the snapshot still streams is a gap, never a snapshot of two histories", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    // The feed's host reaches NATS through a proxy of its own, so its connection can be cut mid-snapshot.
    const proxy = await startFaultProxy({ target: { port: server.port } });
    cleanup.push(() => proxy.close());
    const backend = await openBackend(prefix, { servers: proxy.url("nats") });
    const filler = "x".repeat(2_000);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => rawPut(layout, `CLAIMS_K${i}`, `old${i} ${filler}`)),
    );
    // The 50th snapshot entry cuts the connection (synchronously, inside the delivery).
    const sink = recordingSink();
    const record = sink.entry;
    let cutAt: number | undefined;
    sink.entry = (entry) => {
      record(entry);
      if (cutAt === undefined && sink.entries.length === 50) {
        cutAt = sink.entries.length;
        proxy.setMode("drop");
      }
    };
    follow(backend, 0, sink);
    await waitFor(() => cutAt !== undefined, { what: "the 50th snapshot entry" });
    await waitFor(() => !backend.connected, { what: "the backend to notice the cut" });
    // Meanwhile an operator deletes the bucket and a host creates it again and writes 60 keys.
    await admin.jsm.streams.delete(layout.stream);
    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    for (let i = 0; i < 60; i++) await rawPut(layout, `CLAIMS_K${i}`, `new${i}`);
    proxy.setMode("pass");
    await waitFor(() => sink.gaps.length + sink.heads.length > 0, {
      what: "the feed to end the snapshot (a gap) or to say synced",
      timeoutMs: 20_000,
    });
    // A synced snapshot here would mix 240+ old keys with the new ones: a state that never existed.
    expect(sink.heads).toEqual([]);
    expect(sink.gaps).toHaveLength(1);
    expect(sink.gaps[0]).toMatch(/history changed/);
  });

  it("resuming after a revision the bucket never reached is a gap", async () => {
    const backend = await openBackend(uniquePrefix());
    const { sink } = follow(backend, 50);
    await waitFor(() => sink.gaps.length === 1, { what: "gap" });
  });

  it("a bucket deleted under live replicas is recreated; the replicas resync and converge on the new history", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    const timing = { stallCheckIntervalMs: 200, stallTimeoutMs: 1000 };
    const { cache: a } = await openCache(
      { servers: server.url, prefix, hostId: "a", heartbeatMs: 500 },
      { timing },
    );
    const { cache: b } = await openCache(
      { servers: server.url, prefix, hostId: "b", heartbeatMs: 500 },
      { timing },
    );
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    await a.refmaps.put({ oci_url: "old:1", public_key: "MOLD" });
    await caughtUp(b, a.status().revision);
    await admin.jsm.streams.delete(layout.stream);
    await waitFor(
      () =>
        admin.jsm.streams.info(layout.stream).then(
          () => true,
          () => false,
        ),
      {
        what: "the bucket to be recreated by a host",
        timeoutMs: 15_000,
      },
    );
    await rawPut(
      layout,
      `REFMAP_${Buffer.from("new:1").toString("base64url")}`,
      '{"oci_url":"new:1","public_key":"MNEW"}',
    );
    for (const cache of [a, b]) {
      await waitFor(
        () =>
          cache.refmaps
            .list()
            .map((r) => r.oci_url)
            .join() === "new:1" && cache.status().state === "live",
        {
          what: `${cache.hostId} to hold only the new history`,
          timeoutMs: 20_000,
        },
      );
    }
    expect(a.status().digest).toBe(b.status().digest);
    expect(a.status().counters.resyncs + b.status().counters.resyncs).toBeGreaterThan(0);
  });
});

describe("the feed recovers by itself", () => {
  it("a consumer deleted by an admin is recreated and changes keep flowing", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    const { cache } = await openCache({ servers: server.url, prefix, hostId: "c", heartbeatMs: 500 });
    cleanup.push(() => cache.close());
    const names: string[] = [];
    for await (const ci of admin.jsm.consumers.list(layout.stream)) names.push(ci.name);
    expect(names.length).toBe(1);
    for (const name of names) await admin.jsm.consumers.delete(layout.stream, name);
    const rev = await rawPut(
      layout,
      "CLAIMS_MAFTER",
      '{"sub":"MAFTER","iss":"A","name":"n","caps":"","tags":"","rev":"0","version":"1","call_alias":""}',
    );
    await caughtUp(cache, rev, 15_000);
    expect(cache.claims.get("MAFTER")?.name).toBe("n");
  });

  it("rule 10: a dropped connection is reported (stale), and after reconnection the replica catches up", async () => {
    const prefix = uniquePrefix();
    const proxy = await startFaultProxy({ target: { port: server.port } });
    cleanup.push(() => proxy.close());
    const timing = { stallCheckIntervalMs: 200, stallTimeoutMs: 1000 };
    const { cache: far } = await openCache({ servers: proxy.url("nats"), prefix, hostId: "far" }, { timing });
    const { cache: near } = await openCache({ servers: server.url, prefix, hostId: "near" }, { timing });
    cleanup.push(
      () => far.close(),
      () => near.close(),
    );
    proxy.setMode("drop");
    await waitFor(() => far.status().state === "stale", { what: "stale" });
    const { revision } = await near.claims.put({
      sub: "MWHILE",
      iss: "A",
      name: "while",
      caps: "",
      tags: "",
      rev: "0",
      version: "1",
      call_alias: "",
    });
    expect(far.claims.get("MWHILE")).toBeUndefined();
    proxy.setMode("pass");
    await caughtUp(far, revision, 20_000);
    await waitFor(() => far.status().state === "live", { what: "live again" });
    expect(far.status().digest).toBe(near.status().digest);
  });

  it("rule 10: a silent partition (blackhole) makes the replica stale and writes fail within the deadline; healing recovers", async () => {
    const prefix = uniquePrefix();
    const proxy = await startFaultProxy({ target: { port: server.port } });
    cleanup.push(() => proxy.close());
    const timing = { stallCheckIntervalMs: 250, stallTimeoutMs: 1000, headTimeoutMs: 1000 };
    const { cache: far } = await openCache(
      { servers: proxy.url("nats"), prefix, hostId: "far", heartbeatMs: 1000, writeDeadlineMs: 2000 },
      { timing },
    );
    const { cache: near } = await openCache({ servers: server.url, prefix, hostId: "near" }, { timing });
    cleanup.push(
      () => far.close(),
      () => near.close(),
    );
    proxy.setMode("blackhole");
    await waitFor(() => far.status().state === "stale", {
      what: "stale while blackholed",
      timeoutMs: 15_000,
    });
    const started = Date.now();
    await expect(far.refmaps.put({ oci_url: "hole:1", public_key: "MH" })).rejects.toMatchObject({
      code: "BACKEND_UNAVAILABLE",
    });
    expect(Date.now() - started).toBeLessThan(6_000);
    const { revision } = await near.refmaps.put({ oci_url: "hole:2", public_key: "MH2" });
    proxy.setMode("pass");
    await caughtUp(far, revision, 30_000);
    await waitFor(() => far.status().state === "live", { what: "live after healing", timeoutMs: 30_000 });
  });

  it("rule 9: a silently stalled feed (its live entries dropped, heartbeats flowing) is restarted by the replica's idle fallback check", async () => {
    const prefix = uniquePrefix();
    // Nothing signals this stall (no leader change, no own write, heartbeats flow): only the slow fallback
    // finds it, made fast here.
    const timing = { stallCheckIntervalMs: 200, idleCheckIntervalMs: 1000, stallTimeoutMs: 1000 };
    const backend = new StallableJetStreamBackend({ servers: server.url, prefix, hostId: "s" });
    const stalled = await LatticeCache.open({ backend, timing });
    cleanup.push(() => stalled.close());
    await stalled.ready(30_000);
    const { cache: writer } = await openCache({ servers: server.url, prefix, hostId: "w" }, { timing });
    cleanup.push(() => writer.close());
    backend.feedStall.stalled = true;
    const { revision } = await writer.refmaps.put({ oci_url: "stall:1", public_key: "MS" });
    // Every feed restarted while stalled drops its live entries too: the change arrives with a restart's resume.
    await caughtUp(stalled, revision, 15_000);
    expect(stalled.status().counters.feedRestarts).toBeGreaterThan(0);
    backend.feedStall.stalled = false;
  });
});
