// The write path against a real server: revisions, delete markers, rule 4 mapped exactly onto JetStream's
// compare-and-swap, retries that never misreport a write that landed, fail-fast and typed errors.
// Rules cited here: docs/semantics.md#rule-3, #rule-4, #rule-6, #rule-10.
import {
  BackendUnavailableError,
  ConflictError,
  type LatticeBackend,
  PermissionDeniedError,
  silentLogger,
  ValueTooLargeError,
} from "@lattice-cache/core/backend";
import {
  disposeAll,
  type NatsServerHandle,
  startFaultProxy,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { jetstream } from "@nats-io/jetstream";
import { errors } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AckInbox, type AckPublisher } from "./ack-inbox.js";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { ConnectionState } from "./connection-state.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { HEADERS } from "./kv-message.js";
import { KvWriter } from "./kv-writer.js";
import { type RawClient, rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { JETSTREAM_DEFAULTS } from "./options.js";

let server: NatsServerHandle;
let admin: RawClient;
const opened: LatticeBackend[] = [];
const bytes = (s: string) => new TextEncoder().encode(s);

async function backend(
  prefix = uniquePrefix(),
  extra: Partial<ConstructorParameters<typeof JetStreamBackend>[0]> = {},
) {
  const b = new JetStreamBackend({ servers: server.url, prefix, hostId: "writer", ...extra });
  await b.open();
  opened.push(b);
  return { b, layout: new BucketLayout(prefix) };
}

async function lastStored(layout: BucketLayout, key: string) {
  return admin.jsm.direct.getMessage(layout.stream, { last_by_subj: layout.keySubject(key) });
}

beforeAll(async () => {
  server = await startNatsServer();
  admin = await rawClient(server.url);
});

afterAll(async () => {
  await Promise.allSettled(opened.map((b) => b.close()));
  await admin?.close();
  await disposeAll();
});

describe("rule 3/6: revisions are stream sequences; deletes are tombstones with their own revision", () => {
  it("a put stores the bytes with the origin header; a delete stores a DEL marker at a new revision", async () => {
    const { b, layout } = await backend();
    const put = await b.write({ key: "CLAIMS_MA", value: bytes('{"a":1}'), origin: "host-a" });
    const del = await b.write({ key: "CLAIMS_MA", value: null, origin: "host-b" });
    expect(del.revision).toBeGreaterThan(put.revision);
    const stored = await lastStored(layout, "CLAIMS_MA");
    expect(stored?.seq).toBe(del.revision);
    expect(stored?.header.get(HEADERS.operation)).toBe("DEL");
    expect(stored?.header.get(HEADERS.origin)).toBe("host-b");
    const again = await b.write({ key: "CLAIMS_MA", value: bytes('{"a":2}'), origin: "host-a" });
    expect(again.revision).toBeGreaterThan(del.revision);
  });
});

describe("rule 4: conditional writes", () => {
  it("expectedRevision 0 creates a missing key and refuses an existing one with its current revision", async () => {
    const { b } = await backend();
    const first = await b.write({ key: "REFMAP_a", value: bytes("1"), expectedRevision: 0, origin: "h" });
    const error = await b
      .write({ key: "REFMAP_a", value: bytes("2"), expectedRevision: 0, origin: "h" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({
      code: "CONFLICT",
      key: "REFMAP_a",
      expectedRevision: 0,
      currentRevision: first.revision,
    });
  });

  it("a stale expectedRevision is refused with the current one (10071 'wrong last sequence' parsed); nothing is written", async () => {
    const { b, layout } = await backend();
    const r1 = await b.write({ key: "REFMAP_b", value: bytes("1"), origin: "h" });
    const r2 = await b.write({
      key: "REFMAP_b",
      value: bytes("2"),
      expectedRevision: r1.revision,
      origin: "h",
    });
    const error = await b
      .write({ key: "REFMAP_b", value: bytes("3"), expectedRevision: r1.revision, origin: "h" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).currentRevision).toBe(r2.revision);
    expect((await lastStored(layout, "REFMAP_b"))?.seq).toBe(r2.revision);
  });

  it("a deleted key does not exist: create (expectedRevision 0) over its tombstone succeeds", async () => {
    const { b } = await backend();
    await b.write({ key: "REFMAP_c", value: bytes("1"), origin: "h" });
    const del = await b.write({ key: "REFMAP_c", value: null, origin: "h" });
    const created = await b.write({ key: "REFMAP_c", value: bytes("2"), expectedRevision: 0, origin: "h" });
    expect(created.revision).toBeGreaterThan(del.revision);
  });

  it("the tombstone's own revision is accepted too (as JetStream does); another revision conflicts with current 0", async () => {
    const { b } = await backend();
    const put = await b.write({ key: "REFMAP_d", value: bytes("1"), origin: "h" });
    const del = await b.write({ key: "REFMAP_d", value: null, origin: "h" });
    const stale = await b
      .write({ key: "REFMAP_d", value: bytes("x"), expectedRevision: put.revision, origin: "h" })
      .catch((e) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError).currentRevision).toBe(0);
    const ok = await b.write({
      key: "REFMAP_d",
      value: bytes("2"),
      expectedRevision: del.revision,
      origin: "h",
    });
    expect(ok.revision).toBeGreaterThan(del.revision);
  });

  it("a conditional delete checks the revision like a put", async () => {
    const { b } = await backend();
    const put = await b.write({ key: "REFMAP_e", value: bytes("1"), origin: "h" });
    await expect(
      b.write({ key: "REFMAP_e", value: null, expectedRevision: put.revision + 5, origin: "h" }),
    ).rejects.toThrow(ConflictError);
    const del = await b.write({ key: "REFMAP_e", value: null, expectedRevision: put.revision, origin: "h" });
    expect(del.revision).toBeGreaterThan(put.revision);
  });

  it("expectedRevision > 0 on a key that never existed conflicts with current 0", async () => {
    const { b } = await backend();
    const error = await b
      .write({ key: "REFMAP_f", value: bytes("1"), expectedRevision: 3, origin: "h" })
      .catch((e) => e);
    expect(error).toMatchObject({ code: "CONFLICT", currentRevision: 0 });
  });

  it("concurrent creates of one key: exactly one wins, the others get conflicts", async () => {
    const { b } = await backend();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        b.write({ key: "REFMAP_race", value: bytes(String(i)), expectedRevision: 0, origin: `h${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ConflictError);
  });
});

/**
 * Publishes through a real {@link AckInbox}; the first publish lands on the server but "loses" its
 * acknowledgement — at once, or after `delayMs`.
 */
function losingFirstAck(connection: ConnectionState, delayMs = 0): AckPublisher {
  const real = new AckInbox(admin.nc, connection);
  let lost = false;
  return {
    publish: async (...args) => {
      const sequence = await real.publish(...args);
      if (!lost) {
        lost = true;
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        throw new errors.TimeoutError();
      }
      return sequence;
    },
    close: () => real.close(),
  };
}

describe("retries never misreport a write that landed", () => {
  async function writerWithLostAck(prefix: string, allowDirect = true) {
    const nc = admin.nc;
    const connection = new ConnectionState(nc, silentLogger);
    connection.start();
    return new KvWriter({
      acks: losingFirstAck(connection),
      jsm: admin.jsm,
      layout: new BucketLayout(prefix),
      connection,
      deadlineMs: 5_000,
      logger: silentLogger,
      allowDirect: () => allowDirect,
      maxMessageBytes: () => undefined,
    });
  }

  it.each([
    ["an unconditional put", undefined],
    ["a create (expectedRevision 0)", 0],
  ])(
    "%s whose ack was lost resolves with the revision it got, written once (server deduplication)",
    async (_, expected) => {
      const prefix = uniquePrefix();
      const layout = new BucketLayout(prefix);
      await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
      const writer = await writerWithLostAck(prefix);
      const result = await writer.write({
        key: "CLAIMS_MX",
        value: bytes("v"),
        expectedRevision: expected,
        origin: "h",
      });
      const info = await admin.jsm.streams.info(layout.stream);
      expect(info.state.last_seq).toBe(1);
      expect(result.revision).toBe(1);
    },
  );

  it("without a duplicate window, a conditional retry that hits its own write is recognised by reading it back", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    // 100 ms window: expired by the time the writer retries, so the server cannot deduplicate.
    await admin.jsm.streams.add({
      ...desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket),
      duplicate_window: 100_000_000,
    });
    const existing = await jetstream(admin.nc).publish(layout.keySubject("CLAIMS_MY"), bytes("old"));
    const connection = new ConnectionState(admin.nc, silentLogger);
    connection.start();
    const writer = new KvWriter({
      acks: losingFirstAck(connection, 300),
      jsm: admin.jsm,
      layout,
      connection,
      deadlineMs: 5_000,
      logger: silentLogger,
      allowDirect: () => true,
      maxMessageBytes: () => undefined,
    });
    const result = await writer.write({
      key: "CLAIMS_MY",
      value: bytes("new"),
      expectedRevision: existing.seq,
      origin: "h",
    });
    expect(result.revision).toBe(existing.seq + 1);
    expect((await admin.jsm.streams.info(layout.stream)).state.last_seq).toBe(existing.seq + 1);
  });
});

describe("transient failures are retried up to writeDeadlineMs, then BackendUnavailableError", () => {
  it("a write while the bucket is briefly missing (no responders) succeeds once it is back", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    // Bind mode: the backend's feed must not recreate the bucket behind the test's back.
    const { b } = await backend(prefix, { provision: "bind", writeDeadlineMs: 8_000 });
    await admin.jsm.streams.delete(layout.stream);
    const pending = b.write({ key: "CLAIMS_MZ", value: bytes("v"), origin: "h" });
    await new Promise((r) => setTimeout(r, 1_000));
    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    await expect(pending).resolves.toMatchObject({ revision: 1 });
  });

  it("gives up after the deadline with BackendUnavailableError", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    const { b } = await backend(prefix, { provision: "bind", writeDeadlineMs: 1_500 });
    await admin.jsm.streams.delete(layout.stream);
    const started = Date.now();
    const error = await b.write({ key: "CLAIMS_MZ", value: bytes("v"), origin: "h" }).catch((e) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});

describe("rule 10: writes while disconnected fail fast", () => {
  it("a write after the connection dropped fails at once with BackendUnavailableError, and works after reconnect", async () => {
    const proxy = await startFaultProxy({ target: { port: server.port } });
    const { b } = await backend(uniquePrefix(), { servers: proxy.url("nats") });
    await b.write({ key: "CLAIMS_M1", value: bytes("1"), origin: "h" });
    proxy.setMode("drop");
    await waitFor(() => !b.connected, { what: "the backend to notice" });
    const started = Date.now();
    await expect(b.write({ key: "CLAIMS_M1", value: bytes("2"), origin: "h" })).rejects.toThrow(
      BackendUnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(500);
    await expect(b.head()).rejects.toThrow(BackendUnavailableError);
    proxy.setMode("pass");
    await waitFor(() => b.connected, { what: "reconnection", timeoutMs: 15_000 });
    await expect(b.write({ key: "CLAIMS_M1", value: bytes("3"), origin: "h" })).resolves.toBeDefined();
    await proxy.close();
  });
});

describe("typed errors", () => {
  it("a value over the bucket's maxValueSize is a ValueTooLargeError", async () => {
    const { b } = await backend(uniquePrefix(), { bucket: { maxValueSize: 1024 } });
    const error = await b
      .write({ key: "CLAIMS_MBIG", value: new Uint8Array(4096), origin: "h" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect(error).toMatchObject({ code: "VALUE_TOO_LARGE", limit: 1024 });
  });

  it("writing after close is refused; head reports the stream's last revision and creation time", async () => {
    const { b, layout } = await backend();
    const { revision } = await b.write({ key: "CLAIMS_MH", value: bytes("1"), origin: "h" });
    const head = await b.head();
    const info = await admin.jsm.streams.info(layout.stream);
    expect(head).toEqual({ revision, epoch: info.created });
    await b.close();
    await expect(b.write({ key: "CLAIMS_MH", value: bytes("2"), origin: "h" })).rejects.toMatchObject({
      code: "CLOSED",
    });
  });

  it("PermissionDeniedError is a distinct code from unavailability", () => {
    expect(new PermissionDeniedError("x").code).toBe("PERMISSION_DENIED");
  });
});
