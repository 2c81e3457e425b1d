// followLog over the memory store's log: the loop every log-keeping backend shares
// (rules 8, 9 and 10), driven through MemoryBackend, the reference transport.
// Rules cited here: docs/semantics.md#rule-8, #rule-9, #rule-10.
import { describe, expect, it } from "vitest";
import { recorder } from "./feed-recorder.test-helpers.js";
import { followLog, type LogTransport } from "./log-feed.js";
import { type Logger, silentLogger } from "./logger.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { RecentDeliveries } from "./recent-deliveries.js";
import {
  checkpointStore,
  disconnectStore,
  interruptConnection,
  loseHistory,
  reconnectStore,
  storeRaw,
} from "./testing.js";
import { until } from "./until.test-helpers.js";

const bytes = (text: string) => new TextEncoder().encode(text);

const put = (store: MemoryStore, key: string, value = key) =>
  store.write({ key, value: bytes(value), origin: "test" });

describe("followLog (through the memory backend)", () => {
  it("rule 8: a snapshot, then synced at the head, then live changes in order", async () => {
    const store = new MemoryStore();
    put(store, "A");
    put(store, "B");
    const backend = new MemoryBackend(store);
    const r = recorder();
    const feed = backend.subscribe({ revision: 0 }, r.sink);
    await until(() => r.synced() !== undefined, "synced");
    put(store, "C");
    await until(() => r.calls.includes("entry C@3"), "the live change");
    expect(r.calls.filter((c) => !c.startsWith("connection"))).toEqual([
      "entry A@1",
      "entry B@2",
      "synced 2",
      "entry C@3",
    ]);
    await feed.close();
  });

  it("rule 9: a resume after a history rewritten under the same epoch is a gap (the proof replays what was delivered)", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    const restore = checkpointStore(store);
    const first = recorder();
    const feed = backend.subscribe({ revision: 0 }, first.sink);
    await until(() => first.synced() !== undefined, "synced");
    put(store, "A", "original");
    await until(() => first.calls.includes("entry A@1"), "A");
    await feed.close();
    restore();
    put(store, "A", "rewritten");
    put(store, "B");
    const second = recorder();
    const resumed = backend.subscribe({ revision: 1, epoch: first.synced()?.epoch }, second.sink);
    await until(() => second.calls.some((c) => c.startsWith("gap")), "the gap");
    expect(second.calls.find((c) => c.startsWith("gap"))).toMatch(
      /revision 1 was delivered as a change of 8 bytes; the store now holds A .*another value/,
    );
    expect(second.calls.some((c) => c.startsWith("entry"))).toBe(false);
    await resumed.close();
  });

  it("rule 9: a connection cut mid-snapshot while the store is recreated ends in a gap, not a snapshot restarted in place", async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 20; i++) put(store, `OLD${i}`);
    const backend = new MemoryBackend(store);
    const r = recorder();
    let cut = false;
    const feed = backend.subscribe(
      { revision: 0 },
      {
        ...r.sink,
        entry: (e) => {
          r.sink.entry(e);
          if (!cut) {
            cut = true;
            interruptConnection(backend, true);
            loseHistory(store);
            put(store, "NEW");
            setTimeout(() => interruptConnection(backend, false), 20);
          }
        },
      },
    );
    await until(() => r.calls.some((c) => c.startsWith("gap")), "the gap");
    expect(r.calls.filter((c) => c.startsWith("entry"))).toEqual(["entry OLD0@1"]);
    expect(r.synced()).toBeUndefined();
    await feed.close();
  });

  it("rule 10: a partition is reported, and the feed resumes after it without losing a change", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    const r = recorder();
    const feed = backend.subscribe({ revision: 0 }, r.sink);
    await until(() => r.synced() !== undefined, "synced");
    disconnectStore(store);
    await until(() => r.calls.includes("connection false"), "the disconnection");
    storeRaw(store, "WHILEAWAY", bytes("x"));
    reconnectStore(store);
    await until(() => r.calls.includes("entry WHILEAWAY@1"), "the change made during the partition");
    const reports = r.calls.filter((c) => c.startsWith("connection"));
    expect(reports.at(-1), r.calls.join(", ")).toBe("connection true");
    await feed.close();
  });
});

describe("followLog: close() is bounded (issue 22 item 7)", () => {
  it("a transport whose connect never settles, even once closed, cannot hold close(): the loop is abandoned with a warning", async () => {
    const never = new Promise<never>(() => {});
    const transport: LogTransport = {
      connect: () => never,
      head: () => never,
      snapshot: () => never,
      read: () => never,
      readAt: () => never,
      close: async () => {},
    };
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (_fields: unknown, message?: string) => {
        warnings.push(String(message));
      },
      error() {},
    };
    const r = recorder();
    const feed = followLog({
      from: { revision: 0 },
      sink: r.sink,
      recent: new RecentDeliveries(),
      store: "a store that never answers",
      logger,
      waitMs: 1_000,
      transport: () => transport,
      closeGraceMs: 50,
    });
    await feed.close();
    expect(warnings).toEqual(["a closed log feed's transport did not settle; the feed was abandoned"]);
  });

  it("rule 1: a store whose revisions only increase (etcd's cluster-wide counter) delivers across jumps; a contiguous one reports them as gaps", async () => {
    const sparse = (revisions: readonly number[]): LogTransport => {
      const log = revisions.map((revision) => ({
        key: `CLAIMS_M${revision}`,
        value: bytes(`{"sub":"M${revision}"}`),
        revision,
        origin: "etcd",
      }));
      let released = false;
      return {
        connect: async () => {},
        head: async () => ({ revision: 1, epoch: "E", oldest: 1 }),
        snapshot: async () => ({ revision: 1, epoch: "E" }),
        read: async (after, limit, waitMs) => {
          const next = log.filter((c) => c.revision > after).slice(0, limit);
          if (next.length === 0 && waitMs > 0 && !released) await new Promise((r) => setTimeout(r, 20));
          return next;
        },
        readAt: async (at) => at.map((revision) => log.find((c) => c.revision === revision)),
        close: async () => {
          released = true;
        },
      };
    };
    for (const [revisions, expected] of [
      ["increasing", ["entry CLAIMS_M2@2", "entry CLAIMS_M5@5", "entry CLAIMS_M9@9"]],
      ["contiguous", ["entry CLAIMS_M2@2", "gap"]],
    ] as const) {
      const r = recorder();
      const feed = followLog({
        from: { revision: 1, epoch: "E" },
        sink: r.sink,
        recent: new RecentDeliveries(),
        store: "a sparse log",
        logger: silentLogger,
        waitMs: 50,
        transport: () => sparse([2, 5, 9]),
        revisions,
      });
      await until(() => r.calls.some((c) => c === "entry CLAIMS_M9@9" || c.startsWith("gap")), revisions);
      const seen = r.calls
        .filter((c) => c.startsWith("entry") || c.startsWith("gap"))
        .map((c) => (c.startsWith("gap") ? "gap" : c));
      expect(seen, revisions).toEqual(expected);
      await feed.close();
    }
  });
});
