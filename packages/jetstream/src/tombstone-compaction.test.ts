// Tombstone compaction on a real nats-server: a headers-only scan finds the delete and purge markers, each
// due marker is purged with a sequence bound (a key written again meanwhile keeps its value), permissions are
// named, and `read` returns a key's stored change.
// Rules cited here: docs/semantics.md#rule-6.
import { CompactionScan, type LatticeBackend } from "@lattice-cache/core/backend";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { type RawClient, rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { openStoreAccess } from "./store-access.js";
import { findDueMarkers, purgeMarkers } from "./tombstone-compaction.js";

const ADMIN = { user: "admin", pass: "admin-secret" };
const WRITER = { user: "writer", pass: "writer-secret" };

let server: NatsServerHandle;
let admin: RawClient;
const opened: LatticeBackend[] = [];
const bytes = (s: string) => new TextEncoder().encode(s);

/** The writer role of docs/reliability.md for every bucket: no STREAM.PURGE. */
function writerPermissions(): string {
  const allow = [
    "$JS.API.STREAM.INFO.>",
    "$JS.API.CONSUMER.CREATE.>",
    "$JS.API.CONSUMER.DELETE.>",
    "$JS.API.DIRECT.GET.>",
    "$JS.FC.>",
    "$KV.>",
  ];
  return `{ publish: { allow: ${JSON.stringify(allow)} }, subscribe: { allow: ["_INBOX.>"] } }`;
}

beforeAll(async () => {
  server = await startNatsServer({
    config: `authorization { users = [
      { user: "${ADMIN.user}", password: "${ADMIN.pass}" }
      { user: "${WRITER.user}", password: "${WRITER.pass}", permissions: ${writerPermissions()} }
    ] }`,
  });
  admin = await rawClient(server.url, undefined, ADMIN);
});

afterAll(async () => {
  await Promise.allSettled(opened.map((b) => b.close()));
  await admin?.close();
  await disposeAll();
});

async function open(prefix: string, auth = ADMIN, history?: number) {
  const backend = new JetStreamBackend({
    servers: server.url,
    prefix,
    hostId: "compactor",
    auth: { user: auth.user, password: auth.pass },
    ...(history === undefined ? {} : { bucket: { history } }),
  });
  await backend.open();
  opened.push(backend);
  return backend;
}

/** Raw KV access the way a wasmCloud host writes (plain nats.js). */
async function kvOf(prefix: string) {
  return admin.kv(new BucketLayout(prefix).bucket);
}

async function stored(prefix: string, key: string) {
  const layout = new BucketLayout(prefix);
  return admin.jsm.direct.getMessage(layout.stream, { last_by_subj: layout.keySubject(key) });
}

/** Waits (a little) until the server's clock has moved `ms` past `since`, so markers before it are older. */
async function passed(since: number, ms: number): Promise<void> {
  while (Date.now() < since + ms) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("JetStreamBackend.compactTombstones", () => {
  it("rule 6: purges only markers older than the cutoff — never a live key, a young marker or a key written again; a dry run reports the same", async () => {
    const prefix = uniquePrefix("cmp");
    const backend = await open(prefix);
    const kv = await kvOf(prefix);
    await kv.put("CLAIMS_MDELETED", bytes("{}"));
    await kv.delete("CLAIMS_MDELETED");
    await kv.put("CLAIMS_MPURGED", bytes("{}"));
    await kv.purge("CLAIMS_MPURGED");
    await kv.put("CLAIMS_MAGAIN", bytes("{}"));
    await kv.delete("CLAIMS_MAGAIN");
    await kv.put("CLAIMS_MAGAIN", bytes("{}"));
    await kv.put("CLAIMS_MLIVE", bytes("{}"));
    const boundary = Date.now();
    await passed(boundary, 100);
    await kv.put("CLAIMS_MYOUNG", bytes("{}"));
    await kv.delete("CLAIMS_MYOUNG");
    // Every run cuts off at the same instant, between the old markers and the young one.
    const cutoff = boundary + 50;
    const dry = await backend.compactTombstones({ olderThanMs: Date.now() - cutoff, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.scanned).toBe(5);
    expect(dry.removed.map((r) => r.key)).toEqual(["CLAIMS_MDELETED", "CLAIMS_MPURGED"]);
    expect(await stored(prefix, "CLAIMS_MDELETED")).not.toBeNull();

    const report = await backend.compactTombstones({ olderThanMs: Date.now() - cutoff, dryRun: false });
    expect(report.removed.map((r) => r.key)).toEqual(["CLAIMS_MDELETED", "CLAIMS_MPURGED"]);
    expect(report.removed.map((r) => r.revision)).toEqual(dry.removed.map((r) => r.revision));
    expect(Date.parse(report.removed[0]?.deletedAt ?? "")).toBeLessThan(Date.parse(report.cutoff));
    expect(await stored(prefix, "CLAIMS_MDELETED")).toBeNull();
    expect(await stored(prefix, "CLAIMS_MPURGED")).toBeNull();
    for (const kept of ["CLAIMS_MAGAIN", "CLAIMS_MLIVE", "CLAIMS_MYOUNG"]) {
      expect(await stored(prefix, kept), kept).not.toBeNull();
    }
    const again = await backend.compactTombstones({ olderThanMs: Date.now() - cutoff, dryRun: false });
    expect(again.removed).toEqual([]);
  });

  it("the race: a key written again between the scan and the purge keeps its new value (history 1 and 5)", async () => {
    for (const history of [1, 5]) {
      const prefix = uniquePrefix("race");
      const backend = await open(prefix, ADMIN, history);
      const kv = await kvOf(prefix);
      await kv.put("REFMAP_eA", bytes("old"));
      await kv.delete("REFMAP_eA");
      const access = openStoreAccess({
        session: { nc: admin.nc, jsm: admin.jsm },
        closed: false,
        layout: new BucketLayout(prefix),
        heartbeatMs: 1000,
        jsDomain: undefined,
        allowDirect: () => true,
      });
      await passed(Date.now(), 20);
      const scan = new CompactionScan({ olderThanMs: 10, dryRun: false });
      const due = await findDueMarkers(access, scan);
      expect(due.map((m) => m.key)).toEqual(["REFMAP_eA"]);
      const again = await kv.put("REFMAP_eA", bytes("new"));
      await purgeMarkers(access, due, scan);
      const last = await stored(prefix, "REFMAP_eA");
      expect(last?.seq, `history ${history}`).toBe(again);
      expect(new TextDecoder().decode(last?.data)).toBe("new");
      // History 1 had already replaced the marker: nothing was purged, nothing is reported.
      expect(scan.report().removed.map((r) => r.key)).toEqual(history === 1 ? [] : ["REFMAP_eA"]);
      await backend.close();
    }
  });

  it("reports progress with the count of keys scanned", async () => {
    const prefix = uniquePrefix("prog");
    const backend = await open(prefix);
    const kv = await kvOf(prefix);
    await Promise.all(Array.from({ length: 30 }, (_, i) => kv.put(`CLAIMS_M${i}`, bytes("{}"))));
    const seen: number[] = [];
    const report = await backend.compactTombstones({
      olderThanMs: 1000,
      dryRun: true,
      progress: (n) => seen.push(n),
    });
    expect(report.scanned).toBe(30);
    expect(seen.at(-1)).toBe(30);
  });

  it("an empty bucket: nothing scanned, nothing removed", async () => {
    const backend = await open(uniquePrefix("empty"));
    const report = await backend.compactTombstones({ olderThanMs: 1000, dryRun: false });
    expect(report).toMatchObject({ scanned: 0, removed: [], dryRun: false });
  });

  it("a host without $JS.API.STREAM.PURGE gets PERMISSION_DENIED naming it; its dry run works", async () => {
    const prefix = uniquePrefix("perm");
    await open(prefix);
    const kv = await kvOf(prefix);
    await kv.put("CLAIMS_MX", bytes("{}"));
    await kv.delete("CLAIMS_MX");
    await passed(Date.now(), 20);
    const writer = await open(prefix, WRITER);
    expect((await writer.compactTombstones({ olderThanMs: 10, dryRun: true })).removed).toHaveLength(1);
    await expect(writer.compactTombstones({ olderThanMs: 10, dryRun: false })).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringContaining(`$JS.API.STREAM.PURGE.KV_LATTICEDATA_${prefix}`),
    });
    expect(await stored(prefix, "CLAIMS_MX")).not.toBeNull();
  });

  it("a closed backend refuses with CLOSED", async () => {
    const backend = await open(uniquePrefix("closed"));
    await backend.close();
    await expect(backend.compactTombstones({ olderThanMs: 1000, dryRun: true })).rejects.toMatchObject({
      code: "CLOSED",
    });
  });
});

describe("JetStreamBackend.read", () => {
  it("returns a key's last stored change with its write time, a marker as a tombstone, nothing for a missing key", async () => {
    const prefix = uniquePrefix("read");
    const backend = await open(prefix);
    const put = await backend.write({ key: "CLAIMS_MR", value: bytes("{}"), origin: "h1" });
    const before = Date.now();
    const live = await backend.read("CLAIMS_MR");
    expect(live).toMatchObject({ key: "CLAIMS_MR", revision: put.revision, origin: "h1" });
    expect(new TextDecoder().decode(live?.value ?? undefined)).toBe("{}");
    const del = await backend.write({ key: "CLAIMS_MR", value: null, origin: "h1" });
    const entry = await backend.read("CLAIMS_MR");
    expect(entry).toMatchObject({ value: null, revision: del.revision });
    expect(entry?.writtenAt).toBeGreaterThanOrEqual(before - 1000);
    expect(await backend.read("CLAIMS_MNONE")).toBeUndefined();
  });
});
