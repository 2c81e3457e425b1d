// `head()` reads and does nothing else (rule 9's head check runs every second on every host): it never
// restarts a feed, never recreates the bucket, and a STREAM.INFO that failed once and answers again is no
// reason for any feed to recreate its consumer. Consumer creations are counted on the server (advisories).
// Rules cited here: docs/semantics.md#rule-9.
import { setTimeout as sleep } from "node:timers/promises";
import {
  disposeAll,
  type NatsServerHandle,
  startFaultProxy,
  startNatsServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { type RawClient, rawClient, recordingSink, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { JETSTREAM_DEFAULTS, type JetStreamBackendOptions } from "./options.js";

let server: NatsServerHandle;
let admin: RawClient;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  server = await startNatsServer();
  admin = await rawClient(server.url);
});

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  await admin?.close();
  await disposeAll();
});

/** Consumers the server created on the bucket's stream, counted from its advisories. */
function countCreations(layout: BucketLayout): { readonly count: () => number } {
  let created = 0;
  const sub = admin.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.${layout.stream}.*`, {
    callback: () => {
      created += 1;
    },
  });
  cleanup.push(async () => sub.unsubscribe());
  return { count: () => created };
}

async function consumerNames(layout: BucketLayout): Promise<string[]> {
  const names: string[] = [];
  for await (const info of admin.jsm.consumers.list(layout.stream)) names.push(info.name);
  return names.sort();
}

/** A backend with a feed that synced and delivered one live change (a position to prove). */
async function followingBackend(prefix: string, options: Partial<JetStreamBackendOptions>) {
  const layout = new BucketLayout(prefix);
  // Long heartbeats: the feed's own watchdog stays quiet for the whole test (21 s of silence needed).
  const backend = new JetStreamBackend({ servers: server.url, prefix, heartbeatMs: 10_000, ...options });
  await backend.open();
  cleanup.push(() => backend.close());
  const recorded = recordingSink();
  const creations = countCreations(layout);
  const sub = backend.subscribe({ revision: 0 }, recorded);
  cleanup.push(() => sub.close());
  await waitFor(() => recorded.heads.length === 1, { what: "synced" });
  const { seq } = await jetstream(admin.nc).publish(
    layout.keySubject("REFMAP_a"),
    new TextEncoder().encode("a"),
  );
  await waitFor(() => recorded.entries.some((e) => e.revision === seq), { what: "the live change" });
  await waitFor(() => creations.count() === 1, { what: "the consumer's creation advisory" });
  return { backend, layout, recorded, creations };
}

describe("head() has no side effects", () => {
  it("a head that fails on a vanished bucket neither recreates it, nor does its next answer restart a feed", async () => {
    const { backend, layout, recorded, creations } = await followingBackend(uniquePrefix("head"), {});
    await admin.jsm.streams.delete(layout.stream);
    await expect(backend.head()).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
    await expect(admin.jsm.streams.info(layout.stream)).rejects.toThrow(/not found/i);

    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    const head = await backend.head();
    expect(head.revision).toBe(0);
    // The feed finds out about the new history by itself (its consumer is gone); head() told it nothing.
    await sleep(2_500);
    expect(recorded.gaps).toEqual([]);
    expect(creations.count()).toBe(1);
  });

  it("one STREAM.INFO that times out (the connection stays up) and then answers recreates no consumer", async () => {
    const proxy = await startFaultProxy({ target: { port: server.port } });
    cleanup.push(() => proxy.close());
    const { backend, layout, recorded, creations } = await followingBackend(uniquePrefix("info"), {
      servers: proxy.url("nats"),
      // No client ping is due during the blackhole: the connection does not drop, only the request fails.
      pingIntervalMs: 60_000,
    });
    const before = await consumerNames(layout);
    expect(before).toHaveLength(1);

    proxy.setMode("blackhole");
    const started = Date.now();
    await expect(backend.head()).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(backend.connected).toBe(true);
    proxy.setMode("pass");

    const head = await backend.head();
    expect(head.revision).toBe(recorded.entries.at(-1)?.revision);
    // Several watchdog ticks (every second) and head checks later: still the same consumer.
    for (let i = 0; i < 3; i++) {
      await sleep(800);
      await backend.head();
    }
    expect(backend.connected).toBe(true);
    expect(creations.count()).toBe(1);
    expect(await consumerNames(layout)).toEqual(before);
    expect(recorded.gaps).toEqual([]);
  });
});
