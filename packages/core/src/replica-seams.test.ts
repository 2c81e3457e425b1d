// The replica's seams (issue 22): what crosses the public API cannot alias the store, a partition during a
// resync reads as stale, and a large resync reaches a watcher that keeps up. Reproduced with the public API
// and the memory backend.
// Rules cited here: docs/semantics.md#rule-5, #rule-7, #rule-9, #rule-10, #rule-12.
import { describe, expect, it } from "vitest";
import type { LatticeChange } from "./change-event.js";
import { LatticeCache } from "./lattice-cache.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { checkpointStore, disconnectStore, loseHistory, reconnectStore } from "./testing.js";
import { until } from "./until.test-helpers.js";

const FAST = {
  stallCheckIntervalMs: 50,
  idleCheckIntervalMs: 100,
  stallTimeoutMs: 200,
  headTimeoutMs: 500,
  readYourWritesTimeoutMs: 2000,
};

const link = (actor: string, provider = "Vprovider", url = "redis://a") => ({
  actor_id: actor,
  provider_id: provider,
  contract_id: "wasmcloud:keyvalue",
  values: { url },
});
const ref = (actor: string) => ({ actor_id: actor, contract_id: "wasmcloud:keyvalue" });

async function openCache(store: MemoryStore) {
  const backend = new MemoryBackend(store);
  const cache = await LatticeCache.open({ backend, timing: FAST });
  await cache.ready(5000);
  return cache;
}

describe("values handed out cannot alias the replica (issue 22 item 1; rules 5 and 7)", () => {
  it("an update that edits the current value in place fails with a TypeError; nothing changed, nothing was sent", async () => {
    const store = new MemoryStore();
    const cache = await openCache(store);
    await cache.linkdefs.put(link("Mbob"));
    const before = cache.status();
    disconnectStore(store);
    const failure = await cache.linkdefs
      .update(ref("Mbob"), (cur) => {
        if (cur === undefined) return undefined;
        (cur.values as Record<string, string>).url = "redis://edited";
        return cur;
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(TypeError);
    expect(cache.linkdefs.get(ref("Mbob"))?.values.url).toBe("redis://a");
    expect(cache.status().digest).toBe(before.digest);
    reconnectStore(store);
    await cache.close();
  });

  it("an update that returns a new value: the event's previous is the old value, and the indexes move", async () => {
    const store = new MemoryStore();
    const cache = await openCache(store);
    await cache.linkdefs.put(link("Mbob", "VOLD"));
    const events: LatticeChange[] = [];
    cache.onChange((event) => events.push(event));
    await cache.linkdefs.update(ref("Mbob"), (cur) => cur && { ...cur, provider_id: "VNEW" });
    expect(events).toHaveLength(1);
    expect((events[0] as { previous: { provider_id: string } }).previous.provider_id).toBe("VOLD");
    expect(cache.linkdefs.byProvider("VNEW").map((l) => l.actor_id)).toEqual(["Mbob"]);
    expect(cache.linkdefs.byProvider("VOLD")).toEqual([]);
    await cache.close();
  });

  it("editing an object returned by get(), entries() or an event throws; the replica keeps its value", async () => {
    const store = new MemoryStore();
    const cache = await openCache(store);
    const events: LatticeChange[] = [];
    cache.onChange((event) => events.push(event));
    await cache.linkdefs.put(link("Mbob"));
    const got = cache.linkdefs.get(ref("Mbob"));
    expect(() => {
      (got as { provider_id: string }).provider_id = "VNEW";
    }).toThrow(TypeError);
    expect(() => {
      (got?.values as Record<string, string>).url = "x";
    }).toThrow(TypeError);
    const listed = cache.linkdefs.entries()[0]?.value;
    expect(() => {
      (listed as { contract_id: string }).contract_id = "x";
    }).toThrow(TypeError);
    expect(() => {
      (
        (events[0] as { value: { values: Record<string, string> } }).value.values as Record<string, string>
      ).url = "x";
    }).toThrow(TypeError);
    const fresh = await openCache(store);
    expect(cache.status().digest).toBe(fresh.status().digest);
    expect(cache.linkdefs.get(ref("Mbob"))?.provider_id).toBe("Vprovider");
    await fresh.close();
    await cache.close();
  });

  it("the caller's own input object is not stored: editing it after put() changes nothing", async () => {
    const store = new MemoryStore();
    const cache = await openCache(store);
    const input = link("Mbob");
    await cache.linkdefs.put(input);
    input.values.url = "redis://changed-after";
    input.provider_id = "VAFTER";
    expect(cache.linkdefs.get(ref("Mbob"))?.values.url).toBe("redis://a");
    expect(cache.linkdefs.byProvider("VAFTER")).toEqual([]);
    await cache.close();
  });
});

describe("unreachable wins over resyncing (issue 22 item 4; rule 10)", () => {
  it("a replica that starts a resync and then loses the backend reports stale for the whole partition", async () => {
    const store = new MemoryStore();
    // The partition begins just as the resync's snapshot starts: the replica serves the view it wanted
    // to replace, and must say it is stale (not "resyncing", which readiness treats as fine).
    class PartitionedOnResync extends MemoryBackend {
      private subscriptions = 0;
      override subscribe(...args: Parameters<MemoryBackend["subscribe"]>) {
        this.subscriptions += 1;
        if (this.subscriptions === 2) disconnectStore(store);
        return super.subscribe(...args);
      }
    }
    const cache = await LatticeCache.open({ backend: new PartitionedOnResync(store), timing: FAST });
    await cache.ready(5000);
    await cache.linkdefs.put(link("Mbob"));
    loseHistory(store);
    await until(() => cache.status().counters.resyncs > 0, "the resync starts");
    await until(() => !store.reachable, "the partition");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cache.status().state).toBe("stale");
    expect(cache.linkdefs.get(ref("Mbob"))).toBeDefined();
    reconnectStore(store);
    await until(() => cache.status().state === "live", "live after the heal");
    expect(cache.linkdefs.get(ref("Mbob"))).toBeUndefined();
    await cache.close();
  });
});

describe("a large resync reaches a watcher that keeps up (issue 22 item 5; rule 9)", () => {
  it("12,000 changes of one resync are delivered to a prompt async-iterator watcher; none overflows", async () => {
    const store = new MemoryStore();
    const cache = await openCache(store);
    const n = 12_000;
    for (let i = 0; i < n; i++) await cache.claims.put({ sub: `M${i}`, name: "m" });
    const received: LatticeChange[] = [];
    const watcher = cache.watch();
    const consuming = (async () => {
      for await (const event of watcher) {
        received.push(event);
        if (received.length === n) return;
      }
    })();
    loseHistory(store);
    await consuming;
    expect(received.every((e) => e.operation === "delete")).toBe(true);
    expect(new Set(received.map((e) => e.key)).size).toBe(n);
    await cache.close();
  }, 30_000);

  it("a watcher that really falls behind still overflows (its buffer limit counts live events)", async () => {
    const store = new MemoryStore();
    const cache = await openCache(store);
    const watcher = cache.watch({ bufferLimit: 10 });
    for (let i = 0; i < 20; i++) await cache.claims.put({ sub: `M${i}`, name: "m" });
    const drained: unknown[] = [];
    const error = await (async () => {
      for await (const event of watcher) drained.push(event);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe("WATCH_OVERFLOW");
    await cache.close();
  });
});

describe("a rewrite under the same epoch cannot outrun the history proof (issue 22 item 3; rule 9)", () => {
  const other = (text: string) => new TextEncoder().encode(JSON.stringify({ sub: text, name: "other" }));
  const openOn = async (store: MemoryStore) => {
    const cache = await LatticeCache.open({
      backend: new MemoryBackend(store, { auditIntervalMs: 500, feedWaitMs: 100 }),
      timing: FAST,
    });
    await cache.ready(5000);
    return cache;
  };

  for (const changes of [6, 40, 600]) {
    it(`a backup restored, then written past the replicas by ${changes} changes, is found on the writer and on a reader`, async () => {
      const store = new MemoryStore();
      const [writer, reader] = [await openOn(store), await openOn(store)];
      await writer.claims.put({ sub: "MKEPT", name: "kept" });
      const restore = checkpointStore(store);
      await writer.claims.put({ sub: "MLOST", name: "lost" });
      await until(() => reader.claims.get("MLOST") !== undefined, "the reader's feed delivered the value");
      restore();
      // Another writer, past the replicas' position: revision 2 is now another change.
      for (let i = 0; i < changes; i++) {
        store.write({ key: `CLAIMS_MOTHER${i}`, value: other(`MOTHER${i}`), origin: "other" });
      }
      for (const cache of [writer, reader]) {
        await until(() => cache.claims.get("MLOST") === undefined, "the lost value is dropped", 15_000);
        await until(() => cache.status().revision === store.revision, "caught up with the rewrite", 15_000);
        expect(cache.status().counters.resyncs).toBeGreaterThan(0);
        expect(cache.claims.get("MKEPT")?.name).toBe("kept");
        expect(cache.claims.size).toBe(changes + 1);
      }
      await writer.close();
      await reader.close();
    }, 40_000);
  }

  it("an own write applied on its acknowledgement, then lost to a restored backup before the feed brought it, is found", async () => {
    const store = new MemoryStore();
    const writer = await openOn(store);
    await writer.claims.put({ sub: "MKEPT", name: "kept" });
    await until(() => writer.status().revision === 1, "the first write applied");
    const restore = checkpointStore(store);
    await writer.claims.put({ sub: "MLOST", name: "lost" });
    restore();
    for (let i = 0; i < 40; i++) {
      store.write({ key: `CLAIMS_MOTHER${i}`, value: other(`MOTHER${i}`), origin: "other" });
    }
    await until(() => writer.claims.get("MLOST") === undefined, "the lost value is dropped", 15_000);
    await until(() => writer.status().revision === store.revision, "caught up with the rewrite", 15_000);
    expect(writer.claims.size).toBe(41);
    await writer.close();
  });
});

describe("a compare-and-swap never matches a revision of another history (issue 22 item 2; rule 4)", () => {
  const counter = (cache: LatticeCache) => Number(cache.claims.get("MCOUNT")?.name ?? "0");

  it("host a's update after the store lost its history builds on host b's acknowledged edit, never over it", async () => {
    const store = new MemoryStore();
    const a = await openCache(store);
    await a.claims.put({ sub: "MCOUNT", name: "1" });
    loseHistory(store);
    const b = await openCache(store);
    await b.claims.put({ sub: "MCOUNT", name: "10" });
    expect(b.status().revision).toBe(1);
    // a still holds "1" at revision 1 of the old history; b's edit is revision 1 of the new one.
    const outcome = await a.claims.update(
      "MCOUNT",
      (cur) => cur && { ...cur, name: String(Number(cur.name) + 1) },
    );
    expect(outcome.written).toBe(true);
    expect(outcome.value?.name).toBe("11");
    await until(() => counter(b) === 11, "b sees the edit built on its own");
    expect(store.read("CLAIMS_MCOUNT")?.revision).toBe(2);
    await a.close();
    await b.close();
  });

  it("a conditional put naming a revision of the lost history is refused with ConflictError (otherHistory)", async () => {
    const store = new MemoryStore();
    const a = await openCache(store);
    const { revision } = await a.claims.put({ sub: "MCOUNT", name: "1" });
    loseHistory(store);
    const b = await openCache(store);
    await b.claims.put({ sub: "MCOUNT", name: "10" });
    const error = await a.claims.put({ sub: "MCOUNT", name: "2" }, { expectedRevision: revision }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "CONFLICT", otherHistory: true });
    expect((error as Error).message).toMatch(/a history the backend no longer has/);
    expect(store.read("CLAIMS_MCOUNT")?.revision).toBe(1);
    expect(counter(b)).toBe(10);
    await a.close();
    await b.close();
  });
});
