// The watchers' buffers: a resync's batch reaches a watcher that reads it; one that stops reading overflows.
// Rules cited here: docs/semantics.md#rule-9.
import { describe, expect, it } from "vitest";
import type { LatticeChange } from "./change-event.js";
import { WatchHub } from "./watch-hub.js";

const change = (i: number): LatticeChange =>
  ({
    collection: "claims",
    key: `CLAIMS_M${i}`,
    operation: "delete",
    value: undefined,
    previous: undefined,
    revision: i,
    origin: undefined,
  }) as LatticeChange;
const changes = (from: number, n: number) => Array.from({ length: n }, (_, i) => change(from + i));

describe("WatchHub buffers (issue 22 item 5)", () => {
  it("a batch larger than the limit is delivered whole, in order, with the live events after it", async () => {
    const hub = new WatchHub(() => {});
    const watcher = hub.iterate({ bufferLimit: 10 });
    hub.emitBatch(changes(1, 50));
    for (const event of changes(51, 5)) hub.emit(event);
    const seen: number[] = [];
    for (let i = 0; i < 55; i++) seen.push(((await watcher.next()).value as LatticeChange).revision);
    expect(seen).toEqual(changes(1, 55).map((c) => c.revision));
  });

  it("live events behind an unread batch count: past the limit the watcher overflows", async () => {
    const hub = new WatchHub(() => {});
    const watcher = hub.iterate({ bufferLimit: 10 });
    hub.emitBatch(changes(1, 50));
    for (const event of changes(51, 11)) hub.emit(event);
    const read: number[] = [];
    const error = await (async () => {
      for (;;) {
        const next = await watcher.next();
        if (next.done) return undefined;
        read.push(next.value.revision);
      }
    })().catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("WATCH_OVERFLOW");
    expect(read.length).toBeLessThan(61);
  });

  it("a second batch while more than the limit is unread overflows the watcher", async () => {
    const hub = new WatchHub(() => {});
    const watcher = hub.iterate({ bufferLimit: 10 });
    hub.emitBatch(changes(1, 50));
    hub.emitBatch(changes(51, 50));
    const error = await (async () => {
      for (;;) if ((await watcher.next()).done) return undefined;
    })().catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("WATCH_OVERFLOW");
  });

  it("listeners get a batch one event at a time; a filtered watcher gets only its collections", async () => {
    const hub = new WatchHub(() => {});
    const heard: number[] = [];
    hub.listen((event) => heard.push(event.revision));
    const linkdefsOnly = hub.iterate({ collections: ["linkdefs"] });
    hub.emitBatch(changes(1, 3));
    hub.emit({ ...change(4), collection: "linkdefs", key: "LINKDEF_x" } as LatticeChange);
    expect(heard).toEqual([1, 2, 3, 4]);
    expect(((await linkdefsOnly.next()).value as LatticeChange).revision).toBe(4);
  });
});
