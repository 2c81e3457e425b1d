// Connecting for real: every supported authentication, TLS, the connection name, permission errors, and
// the read-only / writer permission sets the README documents.
import { LatticeCache } from "@lattice-cache/core";
import { ConfigurationError, PermissionDeniedError } from "@lattice-cache/core/backend";
import {
  disposeAll,
  makeNatsOperator,
  makeNkeyUser,
  makeTlsCertificates,
  type NatsServerHandle,
  startNatsServer,
} from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import type { JetStreamBackendOptions } from "./options.js";
import { JETSTREAM_DEFAULTS } from "./options.js";

afterAll(() => disposeAll());

/** Opens a cache, writes one entry, reads it back, closes. */
async function roundTrip(options: JetStreamBackendOptions): Promise<void> {
  const backend = new JetStreamBackend(options);
  const cache = await LatticeCache.open({ backend });
  try {
    await cache.ready(10_000);
    await cache.refmaps.put({ oci_url: "auth:1", public_key: "MAUTH" });
    expect(cache.refmaps.get("auth:1")?.public_key).toBe("MAUTH");
  } finally {
    await cache.close();
  }
}

describe("authentication", () => {
  it("token", async () => {
    const server = await startNatsServer({ config: 'authorization { token: "s3cret-token" }' });
    await roundTrip({ servers: server.url, prefix: uniquePrefix(), auth: { token: "s3cret-token" } });
    const wrong = new JetStreamBackend({
      servers: server.url,
      prefix: uniquePrefix(),
      auth: { token: "nope" },
    });
    await expect(wrong.open()).rejects.toThrow(PermissionDeniedError);
    await server.dispose();
  });

  it("user and password", async () => {
    const server = await startNatsServer({ config: 'authorization { user: "host", password: "pw" }' });
    await roundTrip({ servers: server.url, prefix: uniquePrefix(), auth: { user: "host", password: "pw" } });
    const wrong = new JetStreamBackend({
      servers: server.url,
      prefix: uniquePrefix(),
      auth: { user: "host", password: "x" },
    });
    const error = await wrong.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as Error).message).not.toMatch(/pw/);
    await server.dispose();
  });

  it("nkey seed", async () => {
    const user = makeNkeyUser();
    const server = await startNatsServer({
      config: `authorization { users: [ { nkey: ${user.publicKey} } ] }`,
    });
    await roundTrip({ servers: server.url, prefix: uniquePrefix(), auth: { nkeySeed: user.seed } });
    await server.dispose();
  });

  it("creds file (operator / account / user JWTs)", async () => {
    const operator = await makeNatsOperator();
    const user = await operator.createUser("host");
    const server = await startNatsServer({ config: operator.serverConfig });
    await roundTrip({ servers: server.url, prefix: uniquePrefix(), auth: { credsFile: user.credsFile } });
    await server.dispose();
  });

  it("TLS with a CA, and client certificates when the server verifies clients", async () => {
    const tls = await makeTlsCertificates();
    const server = await startNatsServer({
      config: `tls { cert_file: ${JSON.stringify(tls.serverCert)}, key_file: ${JSON.stringify(tls.serverKey)}, ca_file: ${JSON.stringify(tls.caFile)}, verify: true }`,
    });
    const url = `tls://127.0.0.1:${server.port}`;
    await roundTrip({
      servers: url,
      prefix: uniquePrefix(),
      tls: { caFile: tls.caFile, certFile: tls.clientCert, keyFile: tls.clientKey },
    });
    const noClientCert = new JetStreamBackend({
      servers: url,
      prefix: uniquePrefix(),
      tls: { caFile: tls.caFile },
      openTimeoutMs: 1_500,
    });
    await expect(noClientCert.open()).rejects.toThrow(/set nats.tls.certFile/);
    const noCa = new JetStreamBackend({ servers: url, prefix: uniquePrefix() });
    await expect(noCa.open()).rejects.toMatchObject({ code: "CONFIGURATION", field: "nats.tls" });
    const missing = () =>
      new JetStreamBackend({ servers: url, tls: { caFile: `${tls.dir}/missing.pem` } }).open();
    await expect(missing()).rejects.toThrow(ConfigurationError);
    await server.dispose();
  });
});

describe("the connection as servers see it", () => {
  it("is named lattice-cache:<hostId> and reconnects without limit by default", async () => {
    const server = await startNatsServer();
    const backend = new JetStreamBackend({
      servers: server.url,
      prefix: uniquePrefix(),
      hostId: "host-named",
    });
    await backend.open();
    const connz = (await server.monitor("/connz")) as { connections?: Array<{ name?: string }> };
    expect(connz.connections?.map((c) => c.name)).toContain("lattice-cache:host-named");
    expect(backend.describe()).toMatchObject({
      unlimitedReconnects: true,
      connected: true,
      serverVersion: "2.9.10",
    });
    await backend.close();
    await server.dispose();
  });
});

describe("permissions (the sets documented in the README)", () => {
  const prefix = uniquePrefix("ro");
  const layout = new BucketLayout(prefix);
  const stream = layout.stream;
  const reader = [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
  const writer = [...reader, `$KV.${layout.bucket}.>`];
  const users = (list: string[]) =>
    `{ publish: { allow: ${JSON.stringify(list)} }, subscribe: { allow: ["_INBOX.>"] } }`;
  let server: NatsServerHandle;

  async function start(): Promise<NatsServerHandle> {
    server ??= await startNatsServer({
      config: `authorization { users: [
        { user: admin, password: admin }
        { user: reader, password: reader, permissions: ${users(reader)} }
        { user: writer, password: writer, permissions: ${users(writer)} }
        { user: bare, password: bare, permissions: ${users(reader.slice(1))} }
      ] }`,
    });
    return server;
  }

  it("a read-only host binds, syncs and reads; its writes fail with PermissionDeniedError", async () => {
    const s = await start();
    const admin = await rawClient(s.url, undefined, { user: "admin", pass: "admin" });
    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    const kv = await admin.kv(layout.bucket);
    await kv.put("REFMAP_eA", JSON.stringify({ oci_url: "x", public_key: "MX" }));
    await admin.close();

    const backend = new JetStreamBackend({
      servers: s.url,
      prefix,
      provision: "bind",
      auth: { user: "reader", password: "reader" },
    });
    const cache = await LatticeCache.open({ backend });
    try {
      await cache.ready(10_000);
      expect(cache.refmaps.get("x")?.public_key).toBe("MX");
      await expect(cache.refmaps.put({ oci_url: "y", public_key: "MY" })).rejects.toThrow(
        PermissionDeniedError,
      );
      await expect(cache.checkBackend()).resolves.toBeUndefined();
      expect(cache.status().state).toBe("live");
    } finally {
      await cache.close();
    }
  });

  it("without $JS.API.STREAM.INFO (needed for head checks) a host is told exactly which subject to grant", async () => {
    const s = await start();
    const backend = new JetStreamBackend({
      servers: s.url,
      prefix,
      provision: "bind",
      auth: { user: "bare", password: "bare" },
    });
    const error = await backend.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as Error).message).toContain(`$JS.API.STREAM.INFO.${stream}`);
    await backend.close();
  });

  it("a writing host adds $KV.<bucket>.> and can write", async () => {
    const s = await start();
    const backend = new JetStreamBackend({
      servers: s.url,
      prefix,
      provision: "bind",
      auth: { user: "writer", password: "writer" },
    });
    const cache = await LatticeCache.open({ backend });
    try {
      await cache.ready(10_000);
      const { revision } = await cache.refmaps.put(
        { oci_url: "y", public_key: "MY" },
        { expectedRevision: 0 },
      );
      expect(revision).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });

  it("a host without create rights asked to create a missing bucket gets PermissionDeniedError", async () => {
    const s = await start();
    const backend = new JetStreamBackend({
      servers: s.url,
      prefix: uniquePrefix("ro"),
      auth: { user: "writer", password: "writer" },
    });
    const error = await backend.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    await backend.close();
  });
});
