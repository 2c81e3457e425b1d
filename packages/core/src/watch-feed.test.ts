// followWatch, driven through a push watch over the memory store: the loop every push-watch backend shares
// (rules 8, 9 and 10) — a snapshot then live changes, a broken watch replaced from the history proof's
// start, gaps, failures, silence and a close that does not wait for a watch being started.
// Rules cited here: docs/semantics.md#rule-8, #rule-9, #rule-10.
import { describe, expect, it } from "vitest";
import type { BackendHead } from "./backend.js";
import { recorder } from "./feed-recorder.test-helpers.js";
import { silentLogger } from "./logger.js";
import { MemoryStore } from "./memory-backend.js";
import { checkpointStore, disconnectStore, loseHistory, reconnectStore } from "./memory-faults.js";
import { RecentDeliveries } from "./recent-deliveries.js";
import { until } from "./until.test-helpers.js";
import {
  followWatch,
  type WatchEvents,
  type WatchFeedOptions,
  type WatchSignals,
  type WatchStart,
  type WatchState,
  type WatchTransport,
} from "./watch-feed.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const put = (store: MemoryStore, key: string, value = key) =>
  store.write({ key, value: bytes(value), origin: "test" });
const entries = (calls: readonly string[]) => calls.filter((c) => c.startsWith("entry"));
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A push watch over a memory store, the way a store with a watch API offers one: a watch from 0 pushes each
 * key's last change, one from a revision replays the log from there; then every write is pushed, one
 * message at a time, asynchronously like a network. Keys starting with `OTHER_` are none of the feed's: the
 * watch only says it passed them. Records what the feed asked of it.
 */
class MemoryWatch implements WatchTransport {
  readonly starts: WatchStart[] = [];
  /** Calls of `start`, counted before its gate. */
  asked = 0;
  stops = 0;
  closed = false;
  /** The current watch's events, once one runs. */
  events: WatchEvents | undefined;
  /** Held while set: `start` waits for it (a store slow to set a watch up). */
  gate: Promise<void> | undefined;
  /** The current watch pushes nothing more while set (a watch that died without a word). */
  mute = false;
  /** Sends the replay's "nothing pending" hint before the replay itself (a server that says so early). */
  hintEarly = false;
  restartDue?: (state: WatchState) => string | undefined;
  private watch = 0;
  private readonly unlisten: () => void;

  constructor(
    private readonly store: MemoryStore,
    signals: WatchSignals,
  ) {
    this.unlisten = store.addListener({
      changed: () => {},
      connection: (up) => signals.connection(up, up ? "the store is back" : "the store is partitioned"),
    });
  }

  unreachable(): string | undefined {
    return this.store.reachable ? undefined : "the store is partitioned";
  }

  async head(): Promise<BackendHead> {
    if (!this.store.reachable) throw new Error("the store is partitioned");
    return { revision: this.store.revision, epoch: this.store.epoch };
  }

  async start(start: WatchStart, events: WatchEvents): Promise<string | undefined> {
    this.asked += 1;
    await this.gate;
    this.starts.push(start);
    this.events = events;
    const watch = ++this.watch;
    void this.push(watch, start.from, events);
    return undefined;
  }

  stop(): void {
    this.stops += 1;
    this.watch += 1;
    this.events = undefined;
  }

  close(): void {
    this.closed = true;
    this.unlisten();
    this.stop();
  }

  private async push(watch: number, from: number, events: WatchEvents): Promise<void> {
    const running = () => watch === this.watch && !this.mute;
    await nextTask();
    if (this.hintEarly) events.replayed();
    const replay = from === 0 ? this.store.snapshot() : this.store.changesAfter(from - 1);
    let pushed = this.store.revision;
    for (const change of replay) {
      await nextTask();
      if (!running()) return;
      events.heard();
      if (change.key.startsWith("OTHER_")) events.passed(change.revision);
      else events.change(change);
    }
    if (running()) events.replayed();
    while (watch === this.watch) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (!running()) continue;
      for (const change of this.store.changesAfter(pushed)) {
        events.heard();
        events.change(change);
        pushed = change.revision;
      }
    }
  }
}

function follow(
  store: MemoryStore,
  from: { revision: number; epoch?: string },
  options: Partial<WatchFeedOptions> = {},
  recent = new RecentDeliveries(),
) {
  const r = recorder();
  let transport: MemoryWatch | undefined;
  const feed = followWatch({
    from,
    sink: r.sink,
    recent,
    store: "the memory store",
    logger: silentLogger,
    retry: { baseMs: 10, maxMs: 10 },
    ...options,
    transport: (signals) => {
      transport = new MemoryWatch(store, signals);
      return transport;
    },
  });
  return { feed, r, recent, watch: transport as unknown as MemoryWatch };
}

describe("followWatch (a push watch over the memory store)", () => {
  it("rule 8: a snapshot of each key's last change, then synced at the head, then live changes in order", async () => {
    const store = new MemoryStore();
    put(store, "A", "a1");
    put(store, "B");
    put(store, "A", "a2");
    const { feed, r, watch } = follow(store, { revision: 0 });
    await until(() => r.synced() !== undefined, "synced");
    put(store, "C");
    put(store, "B", "b2");
    await until(() => r.calls.includes("entry B@5"), "the live changes");
    expect(r.calls.filter((c) => !c.startsWith("connection"))).toEqual([
      "entry B@2",
      "entry A@3",
      "synced 3",
      "entry C@4",
      "entry B@5",
    ]);
    expect(r.synced()?.epoch).toBe(store.epoch);
    expect(watch.starts.map((s) => s.from)).toEqual([0]);
    await feed.close();
  });

  it("rule 8: a watch that says it is done before it is is not believed: synced once the position reaches the head", async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 30; i++) put(store, `K${i}`);
    const { feed, r, watch } = follow(store, { revision: 0 });
    watch.hintEarly = true;
    await until(() => r.synced() !== undefined, "synced");
    const synced = r.calls.indexOf("synced 30");
    expect(entries(r.calls.slice(0, synced))).toHaveLength(30);
    await feed.close();
  });

  it("rule 8: a replay whose newest changes are none of the feed's syncs on the watch's word that it passed them", async () => {
    const store = new MemoryStore();
    put(store, "A");
    put(store, "OTHER_B");
    const { feed, r } = follow(store, { revision: 0 });
    await until(() => r.synced() !== undefined, "synced");
    expect(r.calls.filter((c) => !c.startsWith("connection"))).toEqual(["entry A@1", "synced 2"]);
    await feed.close();
  });

  it("rule 9: a broken watch is replaced from the history proof's start: nothing delivered twice, nothing lost", async () => {
    const store = new MemoryStore();
    const { feed, r, watch } = follow(store, { revision: 0 });
    await until(() => r.synced() !== undefined, "synced");
    for (const key of ["A", "B", "C"]) put(store, key);
    await until(() => entries(r.calls).length === 3, "three live changes");
    watch.mute = true;
    put(store, "D");
    put(store, "E");
    watch.mute = false;
    (watch.events as WatchEvents).broken("a delivery was skipped");
    await until(() => r.calls.includes("entry E@5"), "the changes written while the watch was broken");
    put(store, "F");
    await until(() => r.calls.includes("entry F@6"), "a live change on the new watch");
    expect(entries(r.calls)).toEqual([
      "entry A@1",
      "entry B@2",
      "entry C@3",
      "entry D@4",
      "entry E@5",
      "entry F@6",
    ]);
    const resumed = watch.starts[1] as WatchStart;
    // Replays what was delivered (the proof), so from at or below the position, never 0.
    expect(resumed.from).toBeGreaterThanOrEqual(1);
    expect(resumed.from).toBeLessThanOrEqual(3);
    expect(resumed.attempt).toBe(2);
    expect(r.gap()).toBeUndefined();
    await feed.close();
  });

  it("rule 9: a store that lost its history while the watch was broken is a gap, before anything more is delivered", async () => {
    const store = new MemoryStore();
    const { feed, r, watch } = follow(store, { revision: 0 });
    await until(() => r.synced() !== undefined, "synced");
    put(store, "A");
    await until(() => r.calls.includes("entry A@1"), "A");
    loseHistory(store);
    put(store, "NEW");
    (watch.events as WatchEvents).broken("the watch ended");
    await until(() => r.gap() !== undefined, "the gap");
    expect(r.gap()).toMatch(/history changed/);
    expect(entries(r.calls)).toEqual(["entry A@1"]);
    expect(watch.closed).toBe(true);
    await feed.close();
  });

  it("rule 9: a history rewritten under the same epoch is found by the replacing watch's replay of the proof", async () => {
    const store = new MemoryStore();
    const restore = checkpointStore(store);
    const { feed, r, watch } = follow(store, { revision: 0 });
    await until(() => r.synced() !== undefined, "synced");
    put(store, "A", "original");
    await until(() => r.calls.includes("entry A@1"), "A");
    watch.mute = true;
    restore();
    put(store, "A", "rewritten");
    put(store, "B");
    watch.mute = false;
    (watch.events as WatchEvents).broken("the watch ended");
    await until(() => r.gap() !== undefined, "the gap");
    expect(r.gap()).toMatch(/revision 1 was delivered as a change of 8 bytes; the store now holds A/);
    expect(entries(r.calls)).toEqual(["entry A@1"]);
    await feed.close();
  });

  it("rule 9: a resume replays the proof a feed before it delivered (shared deliveries), then goes on live", async () => {
    const store = new MemoryStore();
    const recent = new RecentDeliveries();
    const first = follow(store, { revision: 0 }, {}, recent);
    await until(() => first.r.synced() !== undefined, "synced");
    put(store, "A");
    put(store, "B");
    await until(() => first.r.calls.includes("entry B@2"), "B");
    await first.feed.close();
    put(store, "C");
    const second = follow(store, { revision: 2, epoch: store.epoch }, {}, recent);
    await until(() => second.r.synced() !== undefined, "the resume synced");
    expect(second.watch.starts[0]?.from).toBe(1);
    expect(entries(second.r.calls)).toEqual(["entry C@3"]);
    await second.feed.close();
  });

  it("rule 10: a watch that fails is reported down and replaced after a pause; a partition is waited out", async () => {
    const store = new MemoryStore();
    disconnectStore(store);
    const { feed, r, watch } = follow(store, { revision: 0 });
    await until(() => r.calls.includes("connection false"), "down while partitioned");
    expect(watch.starts).toHaveLength(0);
    reconnectStore(store);
    await until(() => r.synced() !== undefined, "synced once the store is back");
    (watch.events as WatchEvents).failed(new Error("the subscription was refused"));
    await until(() => r.calls.filter((c) => c === "connection false").length === 2, "the failure reported");
    const failedAt = r.calls.length - 1;
    put(store, "A");
    await until(() => r.calls.includes("entry A@1"), "a change on the replacing watch");
    expect(r.calls.slice(failedAt)).toEqual(["connection false", "connection true", "entry A@1"]);
    expect(watch.starts.length).toBeGreaterThanOrEqual(2);
    await feed.close();
  });

  it("rule 10: a watch silent for longer than silenceMs is replaced, and the replica asked to check the head", async () => {
    const store = new MemoryStore();
    const { feed, r, watch } = follow(store, { revision: 0 }, { silenceMs: 100, tickMs: 20 });
    await until(() => r.synced() !== undefined, "synced");
    watch.mute = true;
    await until(() => watch.starts.length >= 2, "the silent watch replaced");
    expect(r.calls.find((c) => c.startsWith("check"))).toMatch(
      /^check nothing heard from the watch for \d+ ms$/,
    );
    await feed.close();
  });

  it("a transport's own watchdog check (restartDue) replaces the watch with the feed's state in hand", async () => {
    const store = new MemoryStore();
    put(store, "A");
    let due: WatchState | undefined;
    const { feed, r, watch } = follow(store, { revision: 0 }, { tickMs: 20 });
    watch.restartDue = (state) => {
      if (due !== undefined || !state.synced) return undefined;
      due = { ...state };
      return "an audit is due";
    };
    await until(() => watch.starts.length === 2, "the watch replaced");
    expect(due).toEqual({ synced: true, position: 1 });
    expect(watch.starts[1]?.from).toBe(1);
    expect(r.gap()).toBeUndefined();
    await feed.close();
  });

  it("close() while a watch is being started returns at once; the watch started late is stopped, and nothing reaches the sink", async () => {
    const store = new MemoryStore();
    put(store, "A");
    let open = () => {};
    const { feed, r, watch } = follow(store, { revision: 0 });
    watch.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    await until(() => watch.asked === 1, "the start under way");
    let closed = false;
    void feed.close().then(() => {
      closed = true;
    });
    await until(() => closed, "close() to return");
    expect(watch.closed).toBe(true);
    const stopsAtClose = watch.stops;
    open();
    await until(() => watch.starts.length === 1, "the late start");
    await until(() => watch.stops > stopsAtClose, "the late watch stopped");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.calls).toEqual([]);
  });
});
