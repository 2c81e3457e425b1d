// Provisioning against a real nats-server: create when missing, tolerate every "already exists", accept a
// compatible pre-provisioned bucket (logging what differs), bind-only mode, and typed start-up errors.
import { LatticeCache } from "@lattice-cache/core";
import { ConfigurationError, LatticeNotFoundError } from "@lattice-cache/core/backend";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { assessBucket, desiredStreamConfig } from "./bucket-provisioner.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { JetStreamNotEnabledError } from "./jetstream-not-enabled-error.js";
import { listJetStreamLattices } from "./lattice-listing.js";
import { type RawClient, rawClient, recordingLogger, uniquePrefix } from "./nats-fixtures.test-helpers.js";
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

describe("provisioning: the bucket is created when missing", () => {
  it("creates LATTICEDATA_{prefix} as a KV bucket with the documented defaults", async () => {
    const prefix = uniquePrefix();
    const backend = new JetStreamBackend({ servers: server.url, prefix });
    await backend.open();
    try {
      const info = await admin.jsm.streams.info(`KV_LATTICEDATA_${prefix}`);
      expect(info.config).toMatchObject({
        subjects: [`$KV.LATTICEDATA_${prefix}.>`],
        num_replicas: 1,
        storage: "file",
        max_msgs_per_subject: 1,
        max_msg_size: 1024 * 1024,
        allow_direct: true,
        allow_rollup_hdrs: true,
        deny_delete: true,
        discard: "new",
      });
      // A plain KV client (what wasmCloud hosts use) binds to it as a KV bucket.
      const kv = await admin.kv(`LATTICEDATA_${prefix}`);
      expect((await kv.status()).history).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it("honours bucket settings: memory storage, history 3, smaller values", async () => {
    const prefix = uniquePrefix();
    const backend = new JetStreamBackend({
      servers: server.url,
      prefix,
      bucket: { storage: "memory", history: 3, maxValueSize: 4096 },
    });
    await backend.open();
    try {
      expect(backend.capabilities.durable).toBe(false);
      const info = await admin.jsm.streams.info(`KV_LATTICEDATA_${prefix}`);
      expect(info.config).toMatchObject({ storage: "memory", max_msgs_per_subject: 3, max_msg_size: 4096 });
    } finally {
      await backend.close();
    }
  });

  it("many hosts creating the same bucket at once all succeed (every 'already exists' is tolerated)", async () => {
    const prefix = uniquePrefix();
    const backends = Array.from(
      { length: 8 },
      (_, i) => new JetStreamBackend({ servers: server.url, prefix, hostId: `h${i}` }),
    );
    try {
      const results = await Promise.allSettled(backends.map((b) => b.open()));
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    } finally {
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it("a host racing with a differently configured create still opens and uses the stream that won", async () => {
    const prefix = uniquePrefix();
    const layout = new BucketLayout(prefix);
    const logger = recordingLogger();
    const other = { ...desiredStreamConfig(layout, { ...JETSTREAM_DEFAULTS.bucket, history: 2 }) };
    const backends = Array.from(
      { length: 4 },
      () => new JetStreamBackend({ servers: server.url, prefix, logger }),
    );
    try {
      const [created, ...opened] = await Promise.allSettled([
        admin.jsm.streams.add(other),
        ...backends.map((b) => b.open()),
      ]);
      expect(opened.every((r) => r.status === "fulfilled")).toBe(true);
      const info = await admin.jsm.streams.info(layout.stream);
      if (created?.status === "fulfilled") expect(info.config.max_msgs_per_subject).toBe(2);
    } finally {
      await Promise.all(backends.map((b) => b.close()));
    }
  });
});

describe("provisioning: an existing bucket is used as it is", () => {
  it("accepts a compatible pre-provisioned bucket with other settings and logs what differs", async () => {
    const prefix = uniquePrefix();
    const bucket = `LATTICEDATA_${prefix}`;
    // Created the way an operator would: nats kv add --history 5 --storage memory.
    const { Kvm } = await import("@nats-io/kv");
    const kv = await new Kvm(admin.jsm.jetstream()).create(bucket, {
      history: 5,
      storage: "memory" as never,
    });
    await kv.put(
      "CLAIMS_MPRE",
      JSON.stringify({
        sub: "MPRE",
        iss: "A",
        name: "pre",
        caps: "",
        tags: "",
        rev: "0",
        version: "1",
        call_alias: "",
      }),
    );
    const logger = recordingLogger();
    const backend = new JetStreamBackend({ servers: server.url, prefix, logger });
    const cache = await LatticeCache.open({ backend });
    try {
      await cache.ready(10_000);
      expect(cache.claims.get("MPRE")?.name).toBe("pre");
      const warning = logger.lines.find((l) => l.level === "warn" && /settings differ/.test(l.msg));
      expect(warning).toBeDefined();
      const differences = (
        (warning?.obj ?? { differences: [] }) as { differences: string[] }
      ).differences.join("\n");
      expect(differences).toMatch(/history: 5 \(we would create 1\)/);
      expect(differences).toMatch(/storage: memory \(we would create file\)/);
      const info = await admin.jsm.streams.info(`KV_${bucket}`);
      expect(info.config.max_msgs_per_subject).toBe(5); // never recreated or edited
    } finally {
      await cache.close();
    }
  });

  it("refuses an unusable stream under the bucket's name with a ConfigurationError", async () => {
    const prefix = uniquePrefix();
    await admin.jsm.streams.add({ name: `KV_LATTICEDATA_${prefix}`, subjects: [`other.${prefix}.>`] });
    const backend = new JetStreamBackend({ servers: server.url, prefix });
    await expect(backend.open()).rejects.toThrow(ConfigurationError);
    await expect(backend.open()).rejects.toThrow(/does not capture \$KV\.LATTICEDATA_/);
    await backend.close();
  });

  it("assessBucket: mirrors, work queues and sealed streams are problems; setting differences are not", () => {
    const layout = new BucketLayout("x");
    const good = desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket);
    expect(assessBucket(layout, good, JETSTREAM_DEFAULTS.bucket)).toEqual({ problems: [], differences: [] });
    const workqueue = assessBucket(layout, { ...good, retention: "workqueue" }, JETSTREAM_DEFAULTS.bucket);
    expect(workqueue.problems[0]).toMatch(/retention "workqueue"/);
    expect(assessBucket(layout, { ...good, sealed: true }, JETSTREAM_DEFAULTS.bucket).problems[0]).toMatch(
      /sealed/,
    );
    const r3 = assessBucket(layout, { ...good, num_replicas: 3, max_age: 60e9 }, JETSTREAM_DEFAULTS.bucket);
    expect(r3.problems).toEqual([]);
    expect(r3.differences.map((d) => d.setting)).toEqual(["replicas", "ttlMs"]);
  });
});

describe("provisioning: bind-only mode for hosts without create rights", () => {
  it("a missing bucket is a LatticeNotFoundError that says how to create it; nothing is created", async () => {
    const prefix = uniquePrefix();
    const backend = new JetStreamBackend({ servers: server.url, prefix, provision: "bind" });
    const error = await backend.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatticeNotFoundError);
    expect(error).toMatchObject({ code: "LATTICE_NOT_FOUND", prefix });
    expect(String((error as Error).message)).toMatch(/nats kv add LATTICEDATA_/);
    await expect(admin.jsm.streams.info(`KV_LATTICEDATA_${prefix}`)).rejects.toThrow(/stream not found/);
    await backend.close();
  });

  it("an existing bucket is bound to and used", async () => {
    const prefix = uniquePrefix();
    await admin.jsm.streams.add(desiredStreamConfig(new BucketLayout(prefix), JETSTREAM_DEFAULTS.bucket));
    const backend = new JetStreamBackend({ servers: server.url, prefix, provision: "bind" });
    const cache = await LatticeCache.open({ backend });
    try {
      await cache.ready(10_000);
      const { revision } = await cache.refmaps.put({ oci_url: "ghcr.io/x:1", public_key: "MX" });
      expect(revision).toBe(1);
    } finally {
      await cache.close();
    }
  });
});

describe("listing the lattices: one per LATTICEDATA_ bucket", () => {
  it("names the prefix of every lattice bucket, and nothing else; listing creates nothing", async () => {
    const prefix = uniquePrefix();
    const creator = new JetStreamBackend({ servers: server.url, prefix });
    await creator.open();
    await creator.close();
    await admin.jsm.streams.add({ name: "UNRELATED_STREAM", subjects: ["unrelated.>"] });
    const before = await admin.jsm.streams.names().next();
    const lattices = await listJetStreamLattices({ servers: server.url, prefix: "never-asked" });
    expect(lattices).toContain(prefix);
    expect(lattices).not.toContain("never-asked");
    expect(lattices.every((name) => !name.includes("UNRELATED"))).toBe(true);
    expect(await admin.jsm.streams.names().next()).toEqual(before);
  });

  it("an unreachable server is a BackendUnavailableError", async () => {
    await expect(
      listJetStreamLattices({ servers: "nats://127.0.0.1:1", openTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
  });
});

describe("start-up errors are typed and say how to fix them", () => {
  it("JetStream not enabled → JetStreamNotEnabledError (a ConfigurationError), fast, never a bare timeout", async () => {
    const plain = await startNatsServer({ jetstream: false });
    const backend = new JetStreamBackend({
      servers: plain.url,
      prefix: uniquePrefix(),
      openTimeoutMs: 20_000,
    });
    const started = Date.now();
    const error = await backend.open().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(JetStreamNotEnabledError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe("CONFIGURATION");
    expect((error as Error).message).toMatch(/nats-server -js/);
    await backend.close();
    await plain.dispose();
  });

  it("a wrong JetStream domain → JetStreamNotEnabledError that names the domain", async () => {
    const backend = new JetStreamBackend({
      servers: server.url,
      prefix: uniquePrefix(),
      jsDomain: "nowhere",
      openTimeoutMs: 1_500,
    });
    const error = await backend.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JetStreamNotEnabledError);
    expect((error as Error).message).toMatch(/domain "nowhere"/);
    await backend.close();
  });

  it("R3 asked of a single server → ConfigurationError about replicas", async () => {
    const backend = new JetStreamBackend({
      servers: server.url,
      prefix: uniquePrefix(),
      bucket: { replicas: 3 },
    });
    const error = await backend.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe("nats.bucket.replicas");
    await backend.close();
  });

  it("an unreachable server → BackendUnavailableError naming the servers", async () => {
    const backend = new JetStreamBackend({ servers: "nats://127.0.0.1:1", prefix: uniquePrefix() });
    await expect(backend.open()).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
    await backend.close();
  });
});
