// When a replica asks the backend's head: rarely while healthy, at once when something points at a problem.
// An idle host must cost the server about what a raw watch costs; a dead feed must still be found in seconds
// whenever any signal points at it (a feed's check(), an own write the feed did not bring, a reconnection).
// Rules cited here: docs/semantics.md#rule-6, #rule-9, #rule-10.
import { describe, expect, it } from "vitest";
import type {
  BackendHead,
  FeedPosition,
  FeedSink,
  FeedSubscription,
  WriteRequest,
  WriteResult,
} from "./backend.js";
import { BackendUnavailableError } from "./errors.js";
import { LatticeCache } from "./lattice-cache.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import type { ReplicaTiming } from "./replica.js";
import { interruptConnection, stallFeed } from "./testing.js";
import { until } from "./until.test-helpers.js";

/** Ticks every 20 ms; the idle fallback never comes during a test unless a test asks for it. */
const QUIET: Partial<ReplicaTiming> = {
  stallCheckIntervalMs: 20,
  idleCheckIntervalMs: 600_000,
  stallTimeoutMs: 200,
  headTimeoutMs: 1000,
  readYourWritesTimeoutMs: 10_000,
};

/** A memory backend that counts head requests and keeps the sink of its latest feed. */
class ObservedBackend extends MemoryBackend {
  heads = 0;
  sink: FeedSink | undefined;
  /** While true, requests get no answer and the feed says nothing: a silent partition. */
  partitioned = false;

  override async head(): Promise<BackendHead> {
    this.heads += 1;
    if (this.partitioned) throw new BackendUnavailableError("memory", "no answer (partitioned)");
    return super.head();
  }

  override async write(request: WriteRequest): Promise<WriteResult> {
    if (this.partitioned) throw new BackendUnavailableError("memory", "no answer (partitioned)");
    return super.write(request);
  }

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    this.sink = sink;
    return super.subscribe(from, sink);
  }
}

async function open(
  store: MemoryStore,
  timing: Partial<ReplicaTiming> = QUIET,
  tombstoneRetentionMs?: number,
) {
  const backend = new ObservedBackend(store);
  const cache = await LatticeCache.open({ backend, timing, tombstoneRetentionMs });
  await cache.ready(5000);
  return { cache, backend };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("rule 9: an idle, healthy replica asks the backend's head only on the slow fallback", () => {
  it("no head request in 50 looks at itself while nothing happens", async () => {
    const { cache, backend } = await open(new MemoryStore());
    const before = backend.heads;
    await sleep(1000);
    expect(backend.heads - before).toBe(0);
    await cache.close();
  });

  it("the fallback asks now and then (jittered), and finds a feed that went silent without a sound", async () => {
    const store = new MemoryStore();
    const { cache: reader, backend } = await open(store, { ...QUIET, idleCheckIntervalMs: 300 });
    const { cache: writer } = await open(store);
    stallFeed(backend, true);
    await writer.claims.put({ sub: "MSILENT" });
    stallFeed(backend, false); // the next subscription works; the stuck one stays stuck
    await until(() => reader.claims.get("MSILENT") !== undefined, "the fallback to restart the feed", 10_000);
    expect(reader.status().counters.feedRestarts).toBeGreaterThan(0);
    expect(backend.heads).toBeGreaterThan(0);
    await Promise.all([reader.close(), writer.close()]);
  });
});

describe("rule 9: a signal makes the replica ask at its next look", () => {
  it("a feed's check() (a leader moved, a server said so) finds a stalled feed without the fallback", async () => {
    const store = new MemoryStore();
    const { cache: reader, backend } = await open(store);
    const { cache: writer } = await open(store);
    stallFeed(backend, true);
    await writer.claims.put({ sub: "MSIGNAL" });
    stallFeed(backend, false);
    await sleep(300);
    expect(reader.claims.get("MSIGNAL")).toBeUndefined();
    backend.sink?.check?.("the stream leader moved");
    await until(
      () => reader.claims.get("MSIGNAL") !== undefined,
      "the signalled replica to restart its feed",
    );
    expect(reader.status().counters.feedRestarts).toBe(1);
    await Promise.all([reader.close(), writer.close()]);
  });

  it("after a signal the replica keeps watching: a feed that stalls seconds later (a follower that stopped following) is still found", async () => {
    const store = new MemoryStore();
    const { cache: reader, backend } = await open(store);
    const { cache: writer } = await open(store);
    backend.sink?.check?.("a stream leader was elected");
    await until(() => backend.heads > 0, "the signalled head check");
    // Nothing wrong yet; the stall comes later and makes no sound.
    await sleep(300);
    stallFeed(backend, true);
    await writer.claims.put({ sub: "MLATER" });
    stallFeed(backend, false);
    await until(() => reader.claims.get("MLATER") !== undefined, "the watching replica to restart its feed");
    expect(reader.status().counters.feedRestarts).toBe(1);
    await Promise.all([reader.close(), writer.close()]);
  });

  it("an own write acknowledged past what the feed brought makes a writing host find its dead feed", async () => {
    const store = new MemoryStore();
    const { cache: host, backend } = await open(store);
    const { cache: other } = await open(store);
    stallFeed(backend, true);
    await other.claims.put({ sub: "MOTHER" });
    stallFeed(backend, false);
    // Acknowledged at a revision past the next one this replica expects: the feed owes it one.
    const write = host.claims.put({ sub: "MOWN" });
    await until(() => host.claims.get("MOTHER") !== undefined, "the writing host to restart its feed");
    await write;
    expect(host.status().counters.feedRestarts).toBe(1);
    await Promise.all([host.close(), other.close()]);
  });

  it("rule 10: a write the backend does not answer makes the replica ask: a silent partition turns it stale", async () => {
    const { cache, backend } = await open(new MemoryStore());
    backend.partitioned = true;
    stallFeed(backend, true);
    await expect(cache.claims.put({ sub: "MCUT" })).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
    await until(() => cache.status().state === "stale", "the replica to report stale");
    expect(cache.status().lastError).toMatch(/head check failed/);
    expect(cache.status().backendConnected).toBe(false);
    await cache.close();
  });

  it("rule 10: a reconnection asks at once", async () => {
    const { cache, backend } = await open(new MemoryStore());
    interruptConnection(backend, true);
    await until(() => cache.status().state === "stale", "the cut to be noticed");
    expect(cache.status().backendConnected).toBe(false);
    const before = backend.heads;
    interruptConnection(backend, false);
    await until(() => backend.heads > before, "a head request after the reconnection");
    await until(() => cache.status().state === "live", "the replica to be live again");
    expect(cache.status().backendConnected).toBe(true);
    await cache.close();
  });
});

describe("rule 6: a replica away longer than half the tombstone retention resyncs instead of resuming", () => {
  it("a short absence resumes; a long one (deletes may have been compacted meanwhile) rebuilds from a snapshot", async () => {
    const store = new MemoryStore();
    const { cache: writer } = await open(store);
    const { cache: reader, backend } = await open(store, QUIET, 4000);
    await writer.claims.put({ sub: "MKEEP" });
    await until(() => reader.claims.get("MKEEP") !== undefined, "the reader to see the first write");

    interruptConnection(backend, true);
    await writer.claims.put({ sub: "MSHORT" });
    interruptConnection(backend, false);
    await until(() => reader.claims.get("MSHORT") !== undefined, "the short absence to be caught up");
    expect(reader.status().counters.resyncs).toBe(0);

    interruptConnection(backend, true);
    await writer.claims.delete("MKEEP");
    await sleep(2500);
    interruptConnection(backend, false);
    await until(() => reader.status().counters.resyncs === 1, "the long absence to resync");
    await until(() => reader.status().state === "live", "the resynced replica to be live");
    expect(reader.claims.get("MKEEP")).toBeUndefined();
    await Promise.all([reader.close(), writer.close()]);
  });
});
