// FeedStall, the backdoor's stallFeed for any backend: live entries vanish while stalled, nothing else does,
// and a backend made stallable with it passes the suite's stalled-feed test.
// Rules cited here: docs/semantics.md#rule-9.
import { MemoryBackend, MemoryStore } from "@lattice-cache/core";
import type { BackendEntry, FeedPosition, FeedSink, FeedSubscription } from "@lattice-cache/core/backend";
import { describe, expect, it } from "vitest";
import { CaptureTestApi } from "./capture-test-api.test-helpers.js";
import { type ConformanceTarget, FeedStall, runConformanceSuite } from "./index.js";

function recorder(): { readonly calls: string[]; readonly sink: FeedSink } {
  const calls: string[] = [];
  return {
    calls,
    sink: {
      entry: (e) => calls.push(`entry ${e.revision}`),
      synced: (h) => calls.push(`synced ${h.revision}`),
      gap: (reason) => calls.push(`gap ${reason}`),
      connection: (connected) => calls.push(`connection ${connected}`),
      check: (reason) => calls.push(`check ${reason}`),
    },
  };
}

const entry = (revision: number): BackendEntry => ({ key: "CLAIMS_M", value: null, revision });

/** A memory backend whose own stall switch is left alone: its feeds stall through a FeedStall only. */
class StallableMemoryBackend extends MemoryBackend {
  readonly stall = new FeedStall();

  override subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    return super.subscribe(from, this.stall.wrap(sink));
  }
}

describe("FeedStall", () => {
  it("drops live entries while stalled; the snapshot, synced, gaps, connection reports and checks pass", () => {
    const stall = new FeedStall();
    const { calls, sink } = recorder();
    const wrapped = stall.wrap(sink);
    stall.stalled = true;
    wrapped.entry(entry(1));
    wrapped.synced({ revision: 1, epoch: "E" });
    wrapped.entry(entry(2));
    wrapped.connection(false);
    wrapped.check?.("audit");
    wrapped.gap("lost");
    stall.stalled = false;
    wrapped.entry(entry(3));
    expect(calls).toEqual(["entry 1", "synced 1", "connection false", "check audit", "gap lost", "entry 3"]);
  });

  it("switches every feed it wrapped, running or started later", () => {
    const stall = new FeedStall();
    const first = recorder();
    const running = stall.wrap(first.sink);
    running.synced({ revision: 0, epoch: "E" });
    stall.stalled = true;
    const second = recorder();
    const later = stall.wrap(second.sink);
    later.synced({ revision: 0, epoch: "E" });
    running.entry(entry(1));
    later.entry(entry(1));
    expect([first.calls, second.calls]).toEqual([["synced 0"], ["synced 0"]]);
  });

  it("gives a backend class the suite's stalled-feed test, which it passes", async () => {
    const target: ConformanceTarget = {
      name: "memory stalled by FeedStall",
      newStore: async () => {
        const memory = new MemoryStore();
        return {
          connect: () => new StallableMemoryBackend(memory),
          backdoor: {
            readRaw: async (key) => {
              const stored = memory.read(key);
              return stored && { value: stored.value, revision: stored.revision };
            },
            stallFeed: async (backend, stalled) => {
              (backend as StallableMemoryBackend).stall.stalled = stalled;
            },
          },
          dispose: async () => {},
        };
      },
    };
    const api = new CaptureTestApi();
    runConformanceSuite(api, target);
    const results = await api.run((path) => path.includes("a silently stalled feed is detected"));
    expect(results.map((r) => [r.path.split(" > ")[1], r.error])).toEqual([
      ["rule 9: gaps are healed", undefined],
    ]);
  });
});
