// The replica under history faults, over the memory backend: each spec names the numbered rule
// it checks, and each failed on the replica before the feed protocol moved into core.
// Rules cited here: docs/semantics.md#rule-2, #rule-7, #rule-9, #rule-11.
import { describe, expect, it } from "vitest";
import type { BackendHead, FeedPosition, FeedSink, LatticeBackend } from "./backend.js";
import type { LatticeChange } from "./change-event.js";
import { LatticeCache } from "./lattice-cache.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { checkpointStore, loseHistory, storeRaw } from "./testing.js";
import { until } from "./until.test-helpers.js";

const FAST = {
  stallCheckIntervalMs: 50,
  // These specs model silent faults: only the idle fallback finds them, so it runs often here.
  idleCheckIntervalMs: 100,
  stallTimeoutMs: 200,
  headTimeoutMs: 2000,
  readYourWritesTimeoutMs: 2000,
};
const encoder = new TextEncoder();

async function open(store: MemoryStore, backend: LatticeBackend = new MemoryBackend(store)) {
  const cache = await LatticeCache.open({ backend, timing: FAST });
  await cache.ready(5000);
  return cache;
}

describe("rule 2 + 9: a resync compares values, not only revisions", () => {
  it("a key that comes back at the same revision with another value after a history loss is replaced, with a put event", async () => {
    const store = new MemoryStore();
    const writer = await open(store);
    const reader = await open(store);
    await writer.claims.put({ sub: "MX", name: "before" });
    await until(() => reader.claims.get("MX")?.name === "before", "the reader to see MX");
    const events: LatticeChange[] = [];
    reader.onChange((e) => events.push(e));
    loseHistory(store);
    // The same revision (1) again, now with another value.
    store.write({
      key: "CLAIMS_MX",
      value: encoder.encode(JSON.stringify({ sub: "MX", name: "after" })),
      origin: "x",
    });
    await reader.checkBackend();
    await until(
      () => reader.status().state === "live" && reader.status().counters.resyncs === 1,
      "the resync",
    );
    expect(reader.claims.get("MX")?.name).toBe("after");
    expect(events.map((e) => `${e.operation} ${e.key}@${e.revision}`)).toEqual(["put CLAIMS_MX@1"]);
    const fresh = await open(store);
    expect(reader.status().digest).toBe(fresh.status().digest);
    await Promise.all([writer.close(), reader.close(), fresh.close()]);
  });
});

describe("rule 11: an invalid value is a change like any other", () => {
  it("a foreign write of invalid bytes over a valid value makes the key read as absent on old and fresh replicas alike", async () => {
    const store = new MemoryStore();
    const a = await open(store);
    await a.claims.put({ sub: "MBAD", name: "valid" });
    const events: LatticeChange[] = [];
    a.onChange((e) => events.push(e));
    const revision = storeRaw(store, "CLAIMS_MBAD", encoder.encode("{not json"));
    await until(() => a.status().revision === revision, "the invalid value to arrive");
    expect(a.claims.get("MBAD")).toBeUndefined();
    expect(a.status().invalidKeys).toBe(1);
    expect(a.status().counters.invalidEntries).toBe(1);
    expect(events.map((e) => `${e.operation} ${e.key}@${e.revision}`)).toEqual([
      `delete CLAIMS_MBAD@${revision}`,
    ]);
    const fresh = await open(store);
    expect(fresh.claims.get("MBAD")).toBeUndefined();
    expect(fresh.status().revision).toBe(a.status().revision);
    expect(fresh.status().digest).toBe(a.status().digest);
    await Promise.all([a.close(), fresh.close()]);
  });

  it("update() builds on the invalid value's revision: it neither overwrites a newer foreign write blindly nor conflicts forever", async () => {
    const store = new MemoryStore();
    const a = await LatticeCache.open({
      backend: new MemoryBackend(store),
      timing: FAST,
      updateRetry: { maxAttempts: 3 },
    });
    await a.ready(5000);
    // A valid value, then foreign garbage over it: update must see "absent" and the garbage's revision.
    await a.claims.put({ sub: "MUPD", name: "old" });
    const garbage = storeRaw(store, "CLAIMS_MUPD", encoder.encode("[1,2]"));
    await until(() => a.status().revision === garbage, "the garbage to arrive");
    let seen: unknown = "not called";
    const first = await a.claims.update("MUPD", (current) => {
      seen = current;
      return { sub: "MUPD", name: "fixed" };
    });
    expect(seen).toBeUndefined();
    expect(first.written).toBe(true);
    expect(first.attempts).toBe(1);
    expect(store.read("CLAIMS_MUPD")?.revision).toBe(first.revision);
    // A deleted key overwritten with garbage: the key exists again (as garbage), so update must name its revision.
    await a.claims.delete("MUPD");
    const again = storeRaw(store, "CLAIMS_MUPD", encoder.encode("{broken"));
    await until(() => a.status().revision === again, "the second garbage to arrive");
    const second = await a.claims.update("MUPD", () => ({ sub: "MUPD", name: "fixed again" }));
    expect(second.written).toBe(true);
    expect(second.attempts).toBe(1);
    expect(a.claims.get("MUPD")?.name).toBe("fixed again");
    await a.close();
  });
});

/** A memory backend whose head() answers late: a head check is in flight most of the time. */
class SlowHead extends MemoryBackend {
  override async head(): Promise<BackendHead> {
    const head = await super.head();
    await new Promise((r) => setTimeout(r, 150));
    return head;
  }
}

describe("rule 7: read-your-writes after a history loss, with a head check already in flight", () => {
  it("each write resolves only once the replica serves it, though the old revision of the key was higher", async () => {
    const store = new MemoryStore();
    const a = await open(store, new SlowHead(store));
    for (let i = 0; i < 5; i++) await a.claims.put({ sub: "MRYW", name: `old ${i}` });
    loseHistory(store);
    for (let i = 0; i < 3; i++) {
      // Start right after a check began, so the write's acknowledgement arrives while it is in flight.
      void a.checkBackend();
      const written = await a.claims.put({ sub: "MRYW", name: `new ${i}` });
      expect(a.claims.get("MRYW")?.name, `after write ${i} (revision ${written.revision})`).toBe(`new ${i}`);
    }
    await a.close();
  });
});

describe("rule 7: read-your-writes when a restored backup reuses the write's revision", () => {
  it("a write acknowledged at a revision the replica holds with another value resolves only after a resync", async () => {
    const store = new MemoryStore();
    const a = await open(store);
    const restore = checkpointStore(store);
    const old = await a.claims.put({ sub: "MREUSE", name: "old" });
    restore();
    const reused = await a.claims.put({ sub: "MREUSE", name: "new" });
    expect(reused.revision).toBe(old.revision);
    expect(a.claims.get("MREUSE")?.name).toBe("new");
    expect(a.status().counters.resyncs).toBe(1);
    await a.close();
  });
});

describe("rule 9: a slow feed is lagging, not stalled", () => {
  it("a feed that delivers everything 600 ms late (3× the stall timeout) is restarted at most once, reports its lag, and ends at the head", async () => {
    const store = new MemoryStore();
    const writer = await open(store);
    const slow = await open(store, delayed(new MemoryBackend(store), 600));
    const stop = Date.now() + 3000;
    let maxLagMs = 0;
    while (Date.now() < stop) {
      await writer.claims.put({ sub: `MSLOW${Date.now() % 7}`, name: String(Date.now()) });
      maxLagMs = Math.max(maxLagMs, slow.status().lagMs);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(slow.status().state).toBe("live");
    await until(() => slow.status().revision === store.revision, "the slow replica to reach the head");
    // Its first late change is indistinguishable from a stall; after one restart, backoff gives it time.
    expect(slow.status().counters.feedRestarts).toBeLessThanOrEqual(1);
    expect(maxLagMs).toBeGreaterThan(0);
    await Promise.all([writer.close(), slow.close()]);
  });
});

describe("closing", () => {
  it("after close() a failing subscribe is not retried", async () => {
    let calls = 0;
    const inner = new MemoryBackend(new MemoryStore());
    const backend: LatticeBackend = Object.assign(Object.create(inner) as MemoryBackend, {
      subscribe(from: FeedPosition, sink: FeedSink) {
        calls += 1;
        if (calls > 1) throw new Error("subscribe refused");
        return inner.subscribe(from, sink);
      },
    });
    const cache = await open(new MemoryStore(), backend);
    // A restart whose subscribe throws schedules a retry; closing must cancel it.
    (cache as unknown as { replica: { restartFeed(reason: string): void } }).replica.restartFeed("test");
    expect(calls).toBe(2);
    await cache.close();
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls).toBe(2);
  });
});

/** Wraps a backend so every feed callback arrives `ms` late, in order; a closed feed's pending ones are dropped. */
function delayed(inner: MemoryBackend, ms: number): LatticeBackend {
  return Object.assign(Object.create(inner) as MemoryBackend, {
    subscribe(from: FeedPosition, sink: FeedSink) {
      let open = true;
      const later =
        <A extends unknown[]>(fn: (...args: A) => void) =>
        (...args: A) =>
          setTimeout(() => open && fn(...args), ms);
      const subscription = inner.subscribe(from, {
        entry: later((e) => sink.entry(e)),
        synced: later((h) => sink.synced(h)),
        gap: later((r) => sink.gap(r)),
        connection: later((c, d) => sink.connection(c, d)),
        check: later((r) => sink.check?.(r)),
      });
      return {
        close: async () => {
          open = false;
          await subscription.close();
        },
      };
    },
  });
}
