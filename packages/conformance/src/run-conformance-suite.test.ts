// How the suite registers itself: only the tests the declared capabilities and backdoor imply, a loud
// failure when the target cannot even be probed, and options validated up front.
// Rules cited here: docs/semantics.md#rule-1, #rule-2, #rule-3, #rule-4, #rule-5, #rule-6, #rule-7, #rule-8,
//   #rule-9, #rule-10, #rule-11, #rule-12.
import { MemoryBackend } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import { CaptureTestApi } from "./capture-test-api.test-helpers.js";
import type { ConformanceTarget } from "./index.js";
import { runConformanceSuite } from "./index.js";
import { memoryStore, memoryTarget } from "./memory-target.test-helpers.js";

async function registered(target: ConformanceTarget): Promise<string[]> {
  const api = new CaptureTestApi();
  runConformanceSuite(api, target);
  return (await api.collected()).map((t) => t.path);
}

const groupsOf = (paths: readonly string[]) => [...new Set(paths.map((p) => p.split(" > ")[1]))];

/** A memory store whose backends declare a broadcast-like backend: unordered, no CAS, no history. */
const unorderedTarget: ConformanceTarget = {
  name: "unordered",
  newStore: async () => {
    const store = memoryStore();
    return {
      connect: () => {
        const backend = new MemoryBackend(store.memory);
        Object.defineProperty(backend, "capabilities", {
          value: {
            ordered: false,
            durable: false,
            compareAndSwap: false,
            history: false,
            ttl: false,
            pushed: false,
            revisionsRestart: false,
          },
        });
        return backend;
      },
      backdoor: { readRaw: store.backdoor.readRaw },
      dispose: store.dispose,
    };
  },
};

describe("runConformanceSuite registration", () => {
  it("registers one describe per rule under the target's name, for a fully capable target", async () => {
    const paths = await registered(memoryTarget);
    expect(paths.every((p) => p.startsWith("lattice-cache conformance: memory > "))).toBe(true);
    expect(groupsOf(paths)).toEqual([
      "backend contract: the LatticeBackend seam",
      "wire format: what the store holds",
      "rule 1: total order",
      "rule 2: convergence",
      "rule 3: last writer wins by revision",
      "rule 4: conditional writes",
      "rule 5: atomic edits",
      "rule 6: deletes are tombstones",
      "rule 6: tombstone retention and compaction",
      "rule 7: read-your-writes",
      "rule 8: initial-sync barrier",
      "rule 9: gaps are healed",
      "rule 10: availability",
      "rule 11: validation at the edge",
      "change events: watch() and onChange()",
      "status()",
      "no fault, no resync",
      "close()",
    ]);
    expect(paths.some((p) => p.includes("rule 12"))).toBe(false);
    // An ordered backend must delete every collection, so nothing checks for refused deletes.
    expect(paths.some((p) => p.includes("never only locally"))).toBe(false);
    expect(paths).toHaveLength(65);
  });

  it("leaves out what an unordered backend without compare-and-swap or fault switches cannot promise", async () => {
    const paths = await registered(unorderedTarget);
    const groups = groupsOf(paths);
    for (const absent of ["rule 1:", "rule 2:", "rule 3:", "rule 9:", "rule 10:"]) {
      expect(
        groups.some((g) => g?.startsWith(absent)),
        absent,
      ).toBe(false);
    }
    // Without compareAndSwap, rules 4 and 5 check that conditional operations are refused as unsupported.
    expect(
      paths.filter((p) => p.includes("rule 4:") || p.includes("rule 5:")).map((p) => p.split(" > ")[2]),
    ).toEqual([
      "without compareAndSwap, expectedRevision is refused with UnsupportedOperationError",
      "without compareAndSwap, update() is refused with UnsupportedOperationError",
    ]);
    expect(
      paths.some((p) => p.includes("write() with expectedRevision throws UnsupportedOperationError")),
    ).toBe(true);
    expect(paths.some((p) => p.includes("changes written during the initial sync"))).toBe(false);
    // The tests that delete, compare replicas or write garbage stay, with what an unordered backend implies.
    for (const kept of [
      "write() stores the exact bytes under the key",
      "a deleted key stays deleted for a replica syncing from scratch",
      "after each of 200 awaited writes",
      "right after ready() a new replica holds all 240 existing entries",
      "garbage under valid keys is refused by write() or counted and skipped",
      "watch() iterates another host's put, replace and delete",
      "onChange() and per-collection watchers",
      "equal values on every host and per-collection counts",
      "ordinary writes, deletes and reads resync no replica",
    ]) {
      expect(
        paths.some((p) => p.includes(kept)),
        kept,
      ).toBe(true);
    }
    // Deletes it is not asked for must be refused or complete, never applied on one host only.
    expect(paths.filter((p) => p.includes("rule 6:")).map((p) => p.split(" > ")[2])).toEqual([
      "a deleted key stays deleted for a replica syncing from scratch",
      "deleting claims or refmaps reaches every host or throws UnsupportedOperationError, never only locally",
      // A backend that cannot compact is held to refusing it; its replicas still drop old tombstones.
      "replicas drop tombstones older than the retention; the key stays deleted",
      "compactLattice refuses a backend that cannot compact with UNSUPPORTED, and writes nothing",
    ]);
  });

  it("registers one failing test naming the cause when the target cannot be probed", async () => {
    const api = new CaptureTestApi();
    runConformanceSuite(api, {
      name: "unreachable",
      newStore: async () => {
        throw new Error("connection refused 127.0.0.1:1");
      },
    });
    const results = await api.run(() => true);
    expect(results).toHaveLength(1);
    expect(String((results[0]?.error as Error | undefined)?.message)).toMatch(
      /could not probe unreachable: .*connection refused/,
    );
  });

  it("refuses nonsense options at registration, and a malformed seed in the environment", async () => {
    expect(() => runConformanceSuite(new CaptureTestApi(), memoryTarget, { propertyRuns: 0 })).toThrow(
      /propertyRuns/,
    );
    const previous = process.env.LATTICE_CONFORMANCE_SEED;
    process.env.LATTICE_CONFORMANCE_SEED = "not-a-seed";
    try {
      expect(() => runConformanceSuite(new CaptureTestApi(), memoryTarget)).toThrow(
        /LATTICE_CONFORMANCE_SEED/,
      );
    } finally {
      if (previous === undefined) delete process.env.LATTICE_CONFORMANCE_SEED;
      else process.env.LATTICE_CONFORMANCE_SEED = previous;
    }
  });
});
