// `inspectJetStream` — the facts behind `lattice doctor`, each problem with a concrete fix.
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { inspectJetStream } from "./inspect-jetstream.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { type RawClient, rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { JETSTREAM_DEFAULTS } from "./options.js";

let server: NatsServerHandle;
let admin: RawClient;

beforeAll(async () => {
  server = await startNatsServer();
  admin = await rawClient(server.url);
});

afterAll(async () => {
  await admin?.close();
  await disposeAll();
});

const codes = (r: { findings: readonly { code: string }[] }) => r.findings.map((f) => f.code);

describe("inspectJetStream: what doctor reports", () => {
  it("a healthy single-server setup: version, JetStream, the bucket's settings, no findings", async () => {
    const prefix = uniquePrefix();
    const backend = new JetStreamBackend({ servers: server.url, prefix });
    await backend.open();
    await backend.close();
    const report = await inspectJetStream({ servers: server.url, prefix, auth: undefined });
    expect(report).toMatchObject({
      ok: true,
      connected: true,
      serverVersion: "2.9.10",
      jetstreamEnabled: true,
      apiPrefix: "$JS.API",
      bucket: {
        name: `LATTICEDATA_${prefix}`,
        exists: true,
        config: { replicas: 1, storage: "file", history: 1, maxValueSize: 1024 * 1024, allowDirect: true },
        recommended: { replicas: 1, storage: "file", history: 1 },
      },
    });
    expect(report.findings).toEqual([]);
  });

  it("unreachable servers: not ok, with a fix", async () => {
    const report = await inspectJetStream({ servers: "nats://127.0.0.1:1" });
    expect(report.ok).toBe(false);
    expect(report.connected).toBe(false);
    expect(codes(report)).toEqual(["UNREACHABLE"]);
    expect(report.findings[0]?.fix).toMatch(/nats-server -js/);
  });

  it("JetStream disabled: says to start the server with -js", async () => {
    const plain = await startNatsServer({ jetstream: false });
    const report = await inspectJetStream({ servers: plain.url });
    expect(report.ok).toBe(false);
    expect(report.jetstreamEnabled).toBe(false);
    expect(codes(report)).toContain("JETSTREAM_DISABLED");
    expect(report.findings.find((f) => f.code === "JETSTREAM_DISABLED")?.fix).toMatch(/nats-server -js/);
    await plain.dispose();
  });

  it("a missing bucket is fine when hosts create it, an error for bind-only hosts (with the command to run)", async () => {
    const prefix = uniquePrefix();
    const create = await inspectJetStream({ servers: server.url, prefix });
    expect(create.ok).toBe(true);
    expect(create.findings.find((f) => f.code === "BUCKET_MISSING")?.severity).toBe("info");
    const bind = await inspectJetStream({ servers: server.url, prefix, provision: "bind" });
    expect(bind.ok).toBe(false);
    expect(bind.findings.find((f) => f.code === "BUCKET_MISSING")?.fix).toMatch(
      `nats kv add LATTICEDATA_${prefix}`,
    );
  });

  it("a pre-provisioned bucket with risky settings: memory storage, history, no direct get, TTL", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    await admin.jsm.streams.add({
      ...desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket),
      storage: "memory",
      max_msgs_per_subject: 5,
      allow_direct: false,
      max_age: 3600 * 1e9,
    });
    const report = await inspectJetStream({ servers: server.url, prefix });
    expect(report.ok).toBe(true);
    expect(codes(report)).toEqual(expect.arrayContaining(["STORAGE", "HISTORY", "DIRECT_GET", "TTL"]));
    expect(report.bucket.differences.map((d) => d.setting)).toEqual(
      expect.arrayContaining(["storage", "history", "allowDirect", "ttlMs"]),
    );
    for (const finding of report.findings) expect(finding.fix.length).toBeGreaterThan(0);
  });
});
