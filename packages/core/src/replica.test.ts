// Rules cited here: docs/semantics.md#rule-1, #rule-2, #rule-4, #rule-5, #rule-7, #rule-8, #rule-9, #rule-10,
//   #rule-11.
import { describe, expect, it } from "vitest";
import type { LatticeChange } from "./change-event.js";
import { casAccepts, DEFAULT_UPDATE_RETRY, shouldApply, updateBackoffMs } from "./conflict-rules.js";
import { entryHash, SetDigest } from "./digest.js";
import {
  BackendUnavailableError,
  ConflictError,
  InvalidEntryError,
  NotReadyError,
  UnsupportedOperationError,
  ValueTooLargeError,
} from "./errors.js";
import { LatticeCache } from "./lattice-cache.js";
import { silentLogger } from "./logger.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { disconnectStore, loseHistory, reconnectStore, stallFeed } from "./testing.js";
import { until } from "./until.test-helpers.js";

const FAST = {
  stallCheckIntervalMs: 50,
  // These specs model silent faults: only the idle fallback finds them, so it runs often here.
  idleCheckIntervalMs: 100,
  stallTimeoutMs: 200,
  headTimeoutMs: 500,
  readYourWritesTimeoutMs: 2000,
};
const link = (actor: string, n = "0") => ({
  actor_id: actor,
  provider_id: "Vprovider",
  contract_id: "wasmcloud:keyvalue",
  values: { n },
});

async function openCache(
  store: MemoryStore,
  extra: Partial<ConstructorParameters<typeof MemoryBackend>[1]> = {},
) {
  const backend = new MemoryBackend(store, extra);
  const cache = await LatticeCache.open({ backend, timing: FAST });
  await cache.ready(5000);
  return { cache, backend };
}

/**
 * Another host writes Mold0…Mold4 (the replica applies them from its feed, never as its own writes); then the
 * store loses its history and the other host writes Mnew, revision 1 of the new one. `atFive` runs once the
 * replica holds revision 5.
 */
async function newHistoryUnder(cache: LatticeCache, store: MemoryStore, atFive = () => {}): Promise<void> {
  const other = new MemoryBackend(store);
  const write = (sub: string) =>
    other.write({
      key: `CLAIMS_${sub}`,
      value: new TextEncoder().encode(JSON.stringify({ sub })),
      origin: "other",
    });
  for (let i = 0; i < 5; i++) await write(`Mold${i}`);
  await cache.waitForRevision(5, 5000);
  atFive();
  loseHistory(store);
  await write("Mnew");
}

describe("conflict rules (conflict-rules.ts)", () => {
  it("rule 1: applies only revisions above the key's current one", () => {
    expect(shouldApply(undefined, 1)).toBe(true);
    expect(shouldApply(5, 6)).toBe(true);
    expect(shouldApply(5, 5)).toBe(false);
    expect(shouldApply(5, 4)).toBe(false);
  });

  it("rule 4: 0 means must-not-exist; a deleted key does not exist", () => {
    expect(casAccepts(0, undefined)).toBe(true);
    expect(casAccepts(0, { revision: 3, deleted: true })).toBe(true);
    expect(casAccepts(3, { revision: 3, deleted: true })).toBe(true);
    expect(casAccepts(0, { revision: 3, deleted: false })).toBe(false);
    expect(casAccepts(3, { revision: 3, deleted: false })).toBe(true);
    expect(casAccepts(2, { revision: 3, deleted: false })).toBe(false);
  });

  it("rule 5: backoff is jittered and bounded", () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      const d = updateBackoffMs(attempt, DEFAULT_UPDATE_RETRY);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(DEFAULT_UPDATE_RETRY.maxDelayMs);
    }
    // After attempt n the pause is at most baseDelayMs · 2^n, capped at maxDelayMs; all of it is random.
    const policy = { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 1000 };
    expect([1, 2, 3, 7].map((n) => updateBackoffMs(n, policy, () => 0))).toEqual([20, 40, 80, 1000]);
    expect(updateBackoffMs(30, DEFAULT_UPDATE_RETRY, () => 0)).toBe(DEFAULT_UPDATE_RETRY.maxDelayMs);
    expect(updateBackoffMs(3, policy, () => 0.5)).toBe(40);
  });
});

describe("rule 2: the digest is a set digest", () => {
  it("does not depend on the order entries were added, and removal undoes addition", () => {
    const a = new SetDigest();
    const b = new SetDigest();
    const h1 = entryHash("CLAIMS_A", 1, new Uint8Array([1]));
    const h2 = entryHash("CLAIMS_B", 2, new Uint8Array([2]));
    a.toggle(h1);
    a.toggle(h2);
    b.toggle(h2);
    b.toggle(h1);
    expect(a.hex()).toBe(b.hex());
    const empty = new SetDigest().hex();
    a.toggle(h1);
    a.toggle(h2);
    expect(a.hex()).toBe(empty);
    expect(entryHash("CLAIMS_A", 1, new Uint8Array([1]))).not.toEqual(
      entryHash("CLAIMS_A", 2, new Uint8Array([1])),
    );
  });
});

describe("the replica over the memory backend", () => {
  it("rule 8: reads before the initial sync throw NotReadyError; ready() resolves on an empty store", async () => {
    const backend = new MemoryBackend();
    // Hold the feed's first delivery back so the replica is observably still syncing.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const subscribe = backend.subscribe.bind(backend);
    backend.subscribe = (after, sink) => {
      const sub = { close: async () => {} } as { close: () => Promise<void> };
      void held.then(() => Object.assign(sub, subscribe(after, sink)));
      return sub;
    };
    const cache = await LatticeCache.open({ backend, timing: FAST });
    expect(() => cache.linkdefs.list()).toThrow(NotReadyError);
    expect(cache.status().state).toBe("syncing");
    release();
    await cache.ready(5000);
    expect(cache.linkdefs.list()).toEqual([]);
    expect(cache.status().state).toBe("live");
    await cache.close();
  });

  it("rule 7: a resolved write is visible to the same replica, also with many in flight", async () => {
    const store = new MemoryStore();
    const { cache } = await openCache(store);
    const outcomes = await Promise.all(
      Array.from({ length: 256 }, (_, i) => cache.linkdefs.put(link(`M${i}`))),
    );
    for (const [i, o] of outcomes.entries()) {
      expect(
        cache.linkdefs.getEntry({ actor_id: `M${i}`, contract_id: "wasmcloud:keyvalue" })?.revision,
      ).toBe(o.revision);
    }
    await cache.close();
  });

  it("finds link definitions by actor and provider and claims by call alias", async () => {
    const { cache } = await openCache(new MemoryStore());
    await cache.linkdefs.put(link("Ma"));
    await cache.linkdefs.put({ ...link("Ma"), contract_id: "wasmcloud:httpserver", provider_id: "Vhttp" });
    await cache.claims.put({ sub: "Mabc", call_alias: "echo", caps: ["wasmcloud:httpserver"] });
    expect(cache.linkdefs.byActor("Ma")).toHaveLength(2);
    expect(cache.linkdefs.byProvider("Vhttp").map((l) => l.contract_id)).toEqual(["wasmcloud:httpserver"]);
    expect(cache.claims.byCallAlias("echo")[0]?.sub).toBe("Mabc");
    await cache.linkdefs.delete({ actor_id: "Ma", contract_id: "wasmcloud:httpserver" });
    expect(cache.linkdefs.byProvider("Vhttp")).toEqual([]);
    expect(cache.status().counts).toEqual({ linkdefs: 1, claims: 1, refmaps: 0 });
    await cache.close();
  });

  it("watchers get put and delete events with the previous value, as iterator and callback", async () => {
    const { cache } = await openCache(new MemoryStore());
    const seen: LatticeChange[] = [];
    const stop = cache.onChange((e) => seen.push(e), ["refmaps"]);
    const iterator = cache.refmaps.watch();
    await cache.refmaps.put({ oci_url: "ghcr.io/a:1", public_key: "MA" });
    await cache.refmaps.put({ oci_url: "ghcr.io/a:1", public_key: "MB" });
    await cache.refmaps.delete("ghcr.io/a:1");
    await cache.claims.put({ sub: "Mnot-a-refmap" });
    const first = await iterator.next();
    const second = await iterator.next();
    const third = await iterator.next();
    expect(first.value).toMatchObject({ operation: "put", value: { public_key: "MA" }, previous: undefined });
    expect(second.value).toMatchObject({
      operation: "put",
      value: { public_key: "MB" },
      previous: { public_key: "MA" },
    });
    expect(third.value).toMatchObject({
      operation: "delete",
      value: undefined,
      previous: { public_key: "MB" },
    });
    expect(seen.map((e) => e.operation)).toEqual(["put", "put", "delete"]);
    stop();
    await iterator.return?.();
    await cache.close();
  });

  it("a watcher that falls too far behind ends with WatchOverflowError instead of growing without bound", async () => {
    const { cache } = await openCache(new MemoryStore());
    const iterator = cache.watch({ bufferLimit: 3 });
    for (let i = 0; i < 5; i++) await cache.refmaps.put({ oci_url: `u${i}`, public_key: "M" });
    // What was buffered is still delivered, then the overflow is reported.
    for (let i = 0; i < 3; i++) expect((await iterator.next()).value?.revision).toBe(i + 1);
    await expect(iterator.next()).rejects.toMatchObject({ code: "WATCH_OVERFLOW" });
    await cache.close();
  });

  it("rule 9: a silently stalled feed is detected by the idle head check and restarted", async () => {
    const store = new MemoryStore();
    const { cache: reader, backend } = await openCache(store);
    const { cache: writer } = await openCache(store);
    stallFeed(backend, true);
    await writer.claims.put({ sub: "Mstalled" });
    await new Promise((r) => setTimeout(r, 50));
    expect(reader.claims.get("Mstalled")).toBeUndefined();
    stallFeed(backend, false); // the next subscription works; the stuck one stays stuck
    await until(() => reader.claims.get("Mstalled") !== undefined, "the restarted feed to deliver");
    expect(reader.status().counters.feedRestarts).toBeGreaterThan(0);
    await reader.close();
    await writer.close();
  });

  it("rule 9: lost history (store restarted empty) triggers a resync that emits the resulting changes", async () => {
    const store = new MemoryStore();
    const { cache } = await openCache(store);
    await cache.claims.put({ sub: "Mgone" });
    await cache.claims.put({ sub: "Mkept" });
    const events: LatticeChange[] = [];
    cache.onChange((e) => events.push(e));
    loseHistory(store);
    const other = new MemoryBackend(store);
    await other.write({
      key: "CLAIMS_Mkept",
      value: new TextEncoder().encode(JSON.stringify({ sub: "Mkept", name: "new" })),
      origin: "x",
    });
    await until(() => cache.status().counters.resyncs > 0 && cache.status().state === "live", "a resync");
    expect(cache.claims.get("Mgone")).toBeUndefined();
    expect(cache.claims.get("Mkept")?.name).toBe("new");
    expect(events.map((e) => `${e.operation}:${e.key}`).sort()).toEqual([
      "delete:CLAIMS_Mgone",
      "put:CLAIMS_Mkept",
    ]);
    expect(cache.status().revision).toBe(1);
    await cache.close();
  });

  it("rule 10: while the backend is unreachable reads answer, state is stale, writes fail fast; then it catches up", async () => {
    const store = new MemoryStore();
    const { cache } = await openCache(store);
    await cache.claims.put({ sub: "Mbefore" });
    disconnectStore(store);
    await until(() => cache.status().state === "stale", "state stale");
    expect(cache.claims.get("Mbefore")).toBeDefined();
    expect(cache.status().staleForMs).toBeGreaterThanOrEqual(0);
    await expect(cache.claims.put({ sub: "Mduring" })).rejects.toBeInstanceOf(BackendUnavailableError);
    reconnectStore(store);
    await new MemoryBackend(store).write({
      key: "CLAIMS_Mafter",
      value: new TextEncoder().encode('{"sub":"Mafter"}'),
      origin: "o",
    });
    await until(
      () => cache.claims.get("Mafter") !== undefined && cache.status().state === "live",
      "catch-up",
    );
    expect(cache.status().counters.writeErrors.BACKEND_UNAVAILABLE).toBe(1);
    await cache.close();
  });

  it("rule 11: invalid values from the wire are counted and skipped; later valid ones apply", async () => {
    const store = new MemoryStore();
    const { cache } = await openCache(store);
    const raw = new MemoryBackend(store);
    await raw.write({ key: "CLAIMS_Mx", value: new TextEncoder().encode("not json"), origin: "evil" });
    await raw.write({ key: "REFMAP_eA", value: new TextEncoder().encode('{"oci_url":"x"}'), origin: "evil" });
    await cache.claims.put({ sub: "Mgood" });
    expect(cache.claims.get("Mgood")).toBeDefined();
    expect(cache.status().counters.invalidEntries).toBe(2);
    // A conditional edit still works on a key whose latest value was invalid.
    const out = await cache.claims.update("Mx", () => ({ sub: "Mx", name: "fixed" }));
    expect(out.attempts).toBe(1);
    expect(cache.claims.get("Mx")?.name).toBe("fixed");
    await cache.close();
  });

  it("refuses oversized values and conditional writes the backend cannot honour, before sending", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    const cache = await LatticeCache.open({ backend, timing: FAST, maxValueBytes: 64 });
    await cache.ready();
    await expect(cache.claims.put({ sub: "Mbig", name: "x".repeat(100) })).rejects.toBeInstanceOf(
      ValueTooLargeError,
    );
    expect(store.revision).toBe(0);
    Object.defineProperty(backend, "capabilities", {
      value: { ...backend.capabilities, compareAndSwap: false },
    });
    await expect(cache.claims.put({ sub: "M1" }, { expectedRevision: 0 })).rejects.toBeInstanceOf(
      UnsupportedOperationError,
    );
    await cache.close();
  });

  it("rule 4 and 5 through the API: conflicts carry the current revision; updates lose no edit", async () => {
    const store = new MemoryStore();
    const caches = await Promise.all([0, 1, 2].map(() => openCache(store).then((c) => c.cache)));
    const [a, b, c] = caches as [LatticeCache, LatticeCache, LatticeCache];
    const first = await a.linkdefs.put(link("Mcount"), { expectedRevision: 0 });
    const conflict = await b.linkdefs.put(link("Mcount"), { expectedRevision: 0 }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).currentRevision).toBe(first.revision);
    const ref = { actor_id: "Mcount", contract_id: "wasmcloud:keyvalue" };
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        [a, b, c][i % 3]!.linkdefs.update(ref, (cur) => ({
          ...link("Mcount"),
          values: { n: String(Number(cur?.values.n ?? 0) + 1) },
        })),
      ),
    );
    for (const cache of caches) {
      await cache.waitForRevision(store.revision, 5000);
      expect(cache.linkdefs.get(ref)?.values.n).toBe("60");
    }
    expect(new Set(caches.map((x) => x.status().digest)).size).toBe(1);
    await Promise.all(caches.map((x) => x.close()));
  });

  it("rule 9: after a resync into a new history, status reports that history's head, not the lost one's", async () => {
    const store = new MemoryStore();
    // No head checks, and another host writes: only the feed finds the new history, only its resync the head.
    const cache = await LatticeCache.open({
      backend: new MemoryBackend(store),
      timing: { ...FAST, stallCheckIntervalMs: 600_000, idleCheckIntervalMs: 600_000 },
    });
    await cache.ready(5000);
    await newHistoryUnder(cache, store, () =>
      expect(cache.status()).toMatchObject({ revision: 5, backendRevision: 5 }),
    );
    await until(() => cache.claims.get("Mnew") !== undefined && cache.status().state === "live", "resynced");
    expect(cache.status()).toMatchObject({ revision: 1, backendRevision: 1, lag: 0, lagMs: 0 });
    await cache.close();
  });

  it.each(["before the resync began", "while the resync's snapshot was staged"])(
    "rule 9: a head check asked %s and answered after it starts no second resync",
    async (when) => {
      const store = new MemoryStore();
      const backend = new MemoryBackend(store);
      // The next head read asked for is read at once but answered only when the test says (a slow answer).
      let holdNext = false;
      let answer: (() => void) | undefined;
      const readHead = backend.head.bind(backend);
      backend.head = () => {
        if (!holdNext) return readHead();
        holdNext = false;
        return readHead().then((head) => new Promise((resolve) => (answer = () => resolve(head))));
      };
      let checked: Promise<void> | undefined;
      let stateWhenAsked: string | undefined;
      const ask = () => {
        holdNext = true;
        stateWhenAsked = cache.status().state;
        checked = cache.checkBackend();
        holdNext = false; // only the read this check makes at once is held, never one of the feed's
      };
      const logger = {
        ...silentLogger,
        warn(_obj: object, msg?: string) {
          // Right after the resync began (its snapshot is taken asynchronously).
          if (msg?.startsWith("resyncing") && when !== "before the resync began") queueMicrotask(ask);
        },
      };
      const cache = await LatticeCache.open({
        backend,
        logger,
        timing: {
          ...FAST,
          stallCheckIntervalMs: 600_000,
          idleCheckIntervalMs: 600_000,
          headTimeoutMs: 60_000,
        },
      });
      await cache.ready(5000);
      await newHistoryUnder(cache, store);
      if (when === "before the resync began") ask(); // the replica holds revision 5 of the lost history
      await until(
        () => cache.claims.get("Mnew") !== undefined && cache.status().state === "live",
        "resynced",
      );
      expect(stateWhenAsked).toBe(when === "before the resync began" ? "live" : "resyncing");
      expect(answer, "the check's head read is held").toBeDefined();
      answer?.(); // the new history's head (revision 1) reaches a replica already resynced onto it
      await checked;
      await cache.checkBackend(); // a second look: whatever the late answer started shows in the counters
      expect(cache.status().counters.resyncs).toBe(1);
      await cache.close();
    },
  );

  it("rule 7 holds even right after the backend lost its history (revisions restarted lower)", async () => {
    const store = new MemoryStore();
    const { cache } = await openCache(store);
    for (let i = 0; i < 5; i++) await cache.claims.put({ sub: `Mold${i}`, name: "old" });
    loseHistory(store);
    // Revision 1 again, below the key's old revision 5. (A reused revision equal to the key's old one cannot
    // be told apart by revision; the epoch check resyncs that case within one stall-check interval.)
    await cache.claims.put({ sub: "Mold4", name: "new" });
    expect(cache.claims.get("Mold4")?.name).toBe("new");
    await cache.close();
  });

  it("an onChange listener given to open() sees the initial snapshot's events", async () => {
    const store = new MemoryStore();
    await new MemoryBackend(store).write({
      key: "CLAIMS_Mseed",
      value: new TextEncoder().encode('{"sub":"Mseed"}'),
      origin: "o",
    });
    const seen: string[] = [];
    const cache = await LatticeCache.open({
      backend: new MemoryBackend(store),
      onChange: (e) => seen.push(e.key),
    });
    await cache.ready();
    expect(seen).toEqual(["CLAIMS_Mseed"]);
    await cache.close();
  });

  it("rule 10: a feed that never reports reconnection counts as connected once it delivers again", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    // This feed reports going down but never coming back: only data can tell the replica it is connected.
    const subscribe = backend.subscribe.bind(backend);
    backend.subscribe = (after, sink) =>
      subscribe(after, {
        ...sink,
        connection: (up, detail) => (up ? undefined : sink.connection(up, detail)),
      });
    const cache = await LatticeCache.open({ backend, timing: FAST });
    await cache.ready(5000);
    disconnectStore(store);
    await until(() => cache.status().state === "stale", "state stale");
    reconnectStore(store);
    await new MemoryBackend(store).write({
      key: "CLAIMS_Mlate",
      value: new TextEncoder().encode('{"sub":"Mlate"}'),
      origin: "o",
    });
    await until(
      () => cache.claims.get("Mlate") !== undefined && cache.status().state === "live",
      "live again",
    );
    await cache.close();
  });

  it("rule 9 + 10: a resync while the old feed is down ends live, after exactly one resync", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    let currentSink: Parameters<MemoryBackend["subscribe"]>[1] | undefined;
    const subscribe = backend.subscribe.bind(backend);
    backend.subscribe = (after, sink) => {
      currentSink = sink;
      return subscribe(after, sink);
    };
    const cache = await LatticeCache.open({ backend, timing: { ...FAST, stallCheckIntervalMs: 600_000 } });
    await cache.ready(5000);
    await cache.claims.put({ sub: "Mbefore" });
    currentSink?.connection(false, "feed socket closed"); // e.g. Redis: the feed's socket died with the server
    await until(() => cache.status().state === "stale", "stale");
    loseHistory(store); // the server came back empty: a new epoch
    await cache.checkBackend(); // seen before the old feed reconnects → resync onto a new feed
    await cache.claims.put({ sub: "Mafter" });
    await until(
      () => cache.claims.get("Mafter") !== undefined && cache.status().state === "live",
      "live again",
    );
    expect(cache.claims.get("Mbefore")).toBeUndefined();
    expect(cache.status().counters.resyncs).toBe(1);
    await cache.close();
  });

  it("secondary indexes built on first use stay right as entries move between index values", async () => {
    const { cache } = await openCache(new MemoryStore());
    await cache.linkdefs.put({ ...link("Mmove"), provider_id: "Vold" });
    expect(cache.linkdefs.byProvider("Vold")).toHaveLength(1); // builds the index
    await cache.linkdefs.put({ ...link("Mmove"), provider_id: "Vnew" }); // same key, new provider
    expect(cache.linkdefs.byProvider("Vold")).toEqual([]);
    expect(cache.linkdefs.byProvider("Vnew").map((l) => l.actor_id)).toEqual(["Mmove"]);
    await cache.linkdefs.put({ ...link("Mmove"), provider_id: "Vnew", values: { n: "2" } }); // index value unchanged
    expect(cache.linkdefs.byProvider("Vnew")[0]?.values.n).toBe("2");
    expect(cache.linkdefs.byActor("Mmove")).toHaveLength(1); // the other index, built later, sees it too
    await cache.close();
  });

  it("a get by natural key (no hashing) follows puts, replacements, deletes and resyncs; a bad ref still throws", async () => {
    const store = new MemoryStore();
    const { cache } = await openCache(store);
    const ref = { actor_id: "Mnat", contract_id: "wasmcloud:keyvalue", link_name: "default" };
    await cache.linkdefs.put({ ...link("Mnat"), values: { n: "1" } });
    expect(cache.linkdefs.get(ref)?.values.n).toBe("1"); // builds the natural-key index
    expect(cache.linkdefs.get({ actor_id: "Mnat", contract_id: "wasmcloud:keyvalue" })?.values.n).toBe("1");
    await cache.linkdefs.put({ ...link("Mnat"), values: { n: "2" } }); // same key: the entry under it moves
    expect(cache.linkdefs.get(ref)?.values.n).toBe("2");
    await cache.linkdefs.put({ ...link("Mother"), values: { n: "3" } }); // inserted after the index was built
    expect(cache.linkdefs.get({ ...ref, actor_id: "Mother" })?.values.n).toBe("3");
    await cache.linkdefs.delete(ref);
    expect(cache.linkdefs.get(ref)).toBeUndefined();
    expect(() => cache.linkdefs.get({ actor_id: "", contract_id: "x" })).toThrow(InvalidEntryError);
    // Lost history: the resync swaps in a new store, whose index is built from what it holds.
    loseHistory(store);
    await cache.linkdefs.put({ ...link("Mnat"), values: { n: "4" } });
    await until(() => cache.linkdefs.get(ref)?.values.n === "4", "the resynced value");
    expect(cache.linkdefs.get({ ...ref, actor_id: "Mother" })).toBeUndefined();
    await cache.close();
  });
});
