// Issue 22 item 6, "truth at the seams": writes in flight when a cache or backend closes. A write the server
// stored must never be reported as failed; one that is rejected was either not stored or says that its
// outcome is unknown. close() waits (bounded by `closeGraceMs`) for the acknowledgements of writes already
// sent; writes not sent yet fail with "not written".
// Rules cited here: docs/semantics.md#rule-10.
import { OUTCOME_UNKNOWN } from "@lattice-cache/conformance";
import { LatticeCache, type LatticeCache as LatticeCacheType, linkdefsCodec } from "@lattice-cache/core";
import { LatticeCacheError } from "@lattice-cache/core/backend";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { type RawClient, rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { JETSTREAM_DEFAULTS } from "./options.js";

let server: NatsServerHandle;
let admin: RawClient;
const bytes = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  server = await startNatsServer();
  admin = await rawClient(server.url);
});

afterAll(async () => {
  await admin?.close();
  await disposeAll();
});

/** What happened to one write, and whether the server holds it in the end. */
interface Settled {
  readonly key: string;
  readonly ok: boolean;
  readonly error?: unknown;
  stored?: boolean;
}

async function settle(key: string, write: Promise<unknown>): Promise<Settled> {
  try {
    await write;
    return { key, ok: true };
  } catch (error) {
    return { key, ok: false, error };
  }
}

/** Looks each key up in the bucket (raw client, around lattice-cache). */
async function markStored(layout: BucketLayout, writes: Settled[]): Promise<void> {
  for (const write of writes) {
    const stored = await admin.jsm.direct
      .getMessage(layout.stream, { last_by_subj: layout.keySubject(write.key) })
      .catch(() => null);
    write.stored = stored !== null && stored !== undefined;
  }
}

/** The truth rule: a resolved write is stored; a rejected one is not stored, or says its outcome is unknown. */
function untruthful(writes: readonly Settled[]): string[] {
  const lies: string[] = [];
  for (const w of writes) {
    if (w.ok && !w.stored) lies.push(`${w.key}: resolved, but not in the bucket`);
    if (!w.ok && w.stored && !OUTCOME_UNKNOWN.test(String((w.error as Error)?.message))) {
      lies.push(`${w.key}: rejected with "${(w.error as Error)?.message}", but in the bucket`);
    }
  }
  return lies;
}

function codes(writes: readonly Settled[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of writes) {
    const code = w.ok ? "OK" : LatticeCacheError.isInstance(w.error) ? w.error.code : "UNTYPED";
    out[code] = (out[code] ?? 0) + 1;
  }
  return out;
}

describe("issue 22 item 6: writes in flight at close() are reported truthfully", () => {
  it("issue 22 item 6: 200 linkdefs.put in flight when a cache closes — every one that resolved is stored, none is reported failed yet stored", async () => {
    const prefix = uniquePrefix("close");
    const layout = new BucketLayout(prefix);
    const cache: LatticeCacheType = await LatticeCache.open({
      backend: new JetStreamBackend({ servers: server.url, prefix, hostId: "closer" }),
      hostId: "closer",
    });
    await cache.ready(30_000);
    const inputs = Array.from({ length: 200 }, (_, i) => ({
      actor_id: `MACTOR${i}`,
      provider_id: "VPROVIDER",
      contract_id: "wasmcloud:keyvalue",
      values: { n: String(i) },
    }));
    const pending = inputs.map((input) =>
      settle(linkdefsCodec.keyOfValue(linkdefsCodec.parse(input)), cache.linkdefs.put(input)),
    );
    await cache.close();
    const writes = await Promise.all(pending);
    await markStored(layout, writes);

    expect(untruthful(writes), JSON.stringify(codes(writes))).toEqual([]);
    // Sent before close() and answered by a healthy server: the acknowledgements were waited for.
    expect(codes(writes)).toEqual({ OK: 200 });
  });

  it("issue 22 item 6: backend.write — 200 sent before close() resolve with their revisions; a write after close() is CLOSED and not stored", async () => {
    const prefix = uniquePrefix("close");
    const layout = new BucketLayout(prefix);
    const backend = new JetStreamBackend({ servers: server.url, prefix, hostId: "closer" });
    await backend.open();
    const pending = Array.from({ length: 200 }, (_, i) =>
      settle(
        `CLAIMS_MIN${i}`,
        backend.write({ key: `CLAIMS_MIN${i}`, value: bytes(`{"n":${i}}`), origin: "h" }),
      ),
    );
    const closing = backend.close();
    const late = settle(
      "CLAIMS_MLATE",
      backend.write({ key: "CLAIMS_MLATE", value: bytes("{}"), origin: "h" }),
    );
    await closing;
    const writes = await Promise.all(pending);
    const lateWrite = await late;
    await markStored(layout, [...writes, lateWrite]);

    expect(untruthful(writes)).toEqual([]);
    expect(codes(writes)).toEqual({ OK: 200 });
    expect(lateWrite).toMatchObject({ ok: false, stored: false, error: { code: "CLOSED" } });
  });

  it("issue 22 item 6: acknowledgements that do not come (a frozen server) — close() returns after closeGraceMs and the writes say their outcome is unknown, not failed", async () => {
    const prefix = uniquePrefix("close");
    const layout = new BucketLayout(prefix);
    const backend = new JetStreamBackend({
      servers: server.url,
      prefix,
      hostId: "closer",
      closeGraceMs: 1_000,
    });
    await backend.open();
    await server.pause();
    let writes: Settled[];
    let closedAfterMs: number;
    try {
      const pending = Array.from({ length: 50 }, (_, i) =>
        settle(
          `CLAIMS_MFROZEN${i}`,
          backend.write({ key: `CLAIMS_MFROZEN${i}`, value: bytes("{}"), origin: "h" }),
        ),
      );
      const started = Date.now();
      await backend.close();
      closedAfterMs = Date.now() - started;
      writes = await Promise.all(pending);
    } finally {
      await server.resume();
    }
    // The resumed server works off what it received before the client left: it may store any of it.
    await waitFor(() => admin.jsm.streams.info(layout.stream), { what: "the resumed server to answer" });
    await markStored(layout, writes);

    expect(untruthful(writes)).toEqual([]);
    expect(codes(writes)).toEqual({ BACKEND_UNAVAILABLE: 50 });
    for (const w of writes) expect(String((w.error as Error).message)).toMatch(OUTCOME_UNKNOWN);
    // Bounded: the grace (1 s), not the write deadline (10 s); generous slack for a busy machine.
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(6_000);
  });

  it("issue 22 item 6: a write pausing between attempts after definite refusals (no stream: no responders) fails with CLOSED at close(), not at its deadline, and nothing is stored", async () => {
    const prefix = uniquePrefix("close");
    const layout = new BucketLayout(prefix);
    // Bind: the backend must not recreate the bucket the test deletes.
    const creator = new JetStreamBackend({ servers: server.url, prefix, hostId: "creator" });
    await creator.open();
    await creator.close();
    const backend = new JetStreamBackend({
      servers: server.url,
      prefix,
      hostId: "closer",
      provision: "bind",
      writeDeadlineMs: 30_000,
    });
    await backend.open();
    await admin.jsm.streams.delete(layout.stream);
    const pending = settle(
      "CLAIMS_MRETRY",
      backend.write({ key: "CLAIMS_MRETRY", value: bytes("{}"), origin: "h" }),
    );
    // Long enough for a few refused attempts (each answered at once by "no responders").
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const started = Date.now();
    await backend.close();
    const write = await pending;
    const closedAfterMs = Date.now() - started;
    await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
    await markStored(layout, [write]);

    expect(write).toMatchObject({ ok: false, stored: false, error: { code: "CLOSED" } });
    // Far below the 30 s write deadline: closing wakes the write from its pause.
    expect(closedAfterMs).toBeLessThan(10_000);
  });
});
