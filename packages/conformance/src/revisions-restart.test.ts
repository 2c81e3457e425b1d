// The lost-history tests hold a backend to what it declares in `revisionsRestart`, not to an assumption:
// a store whose revisions start over after a loss (a recreated bucket) reuses the lost history's revisions;
// one whose counter never goes back (etcd's cluster-wide revision) continues above them. Both heal by a
// resync; each must say which it is.
// Rules cited here: docs/semantics.md#rule-4, #rule-9.

import { MemoryBackend } from "@lattice-cache/core";
import type { BackendCapabilities } from "@lattice-cache/core/backend";
import { loseHistory, storeRaw } from "@lattice-cache/core/testing";
import { describe, expect, it } from "vitest";
import { CaptureTestApi } from "./capture-test-api.test-helpers.js";
import { type ConformanceTarget, runConformanceSuite } from "./index.js";
import { memoryStore } from "./memory-target.test-helpers.js";

/** The lost-history tests whose preconditions depend on the capability. */
const PRECONDITION_TESTS = [
  "rule 9: gaps are healed > after history loss a key",
  "rule 4: conditional writes > a conditional write never matches a revision of a lost history",
];

/** Every test that makes the store lose its history. */
const LOST_HISTORY_TESTS = [
  ...PRECONDITION_TESTS,
  "rule 9: gaps are healed > after the store loses its history",
  "rule 7: read-your-writes > read-your-writes after history loss",
  "rule 8: initial-sync barrier > a store recreated while a snapshot is being delivered",
];

/** Replicas ignore a key outside the three collections: what fills the revisions a shared counter uses up. */
const FOREIGN_KEY = "UNRELATED_NEIGHBOUR";

/**
 * A memory store whose backends declare `revisionsRestart`. With `restarts: false` its revisions continue
 * after a loss, as a counter shared with other data does: the lost history's revisions are used up by a
 * foreign key before anything else is written.
 */
function target(store: { restarts: boolean }, declares: boolean): ConformanceTarget {
  return {
    name: `memory (revisions ${store.restarts ? "restart" : "continue"}, declared ${declares})`,
    newStore: async () => {
      const memory = memoryStore();
      return {
        connect: () => {
          const backend = new MemoryBackend(memory.memory);
          const capabilities: BackendCapabilities = { ...backend.capabilities, revisionsRestart: declares };
          Object.defineProperty(backend, "capabilities", { value: capabilities });
          return backend;
        },
        backdoor: {
          ...memory.backdoor,
          loseHistory: async () => {
            const reached = memory.memory.revision;
            loseHistory(memory.memory);
            if (store.restarts) return;
            const filler = new TextEncoder().encode("another lattice's data");
            while (memory.memory.revision <= reached) storeRaw(memory.memory, FOREIGN_KEY, filler);
          },
        },
        dispose: memory.dispose,
      };
    },
  };
}

/** Runs the tests of `names` against `t`; all of them must be registered. */
async function runTests(t: ConformanceTarget, names: readonly string[]) {
  const api = new CaptureTestApi();
  runConformanceSuite(api, t, { waitTimeoutMs: 5_000 });
  const results = await api.run((path) => names.some((name) => path.includes(name)));
  expect(results).toHaveLength(names.length);
  return results;
}

describe("the lost-history tests follow revisionsRestart", () => {
  it("a store whose revisions continue after a loss passes every lost-history test when it declares revisionsRestart: false", async () => {
    const results = await runTests(target({ restarts: false }, false), LOST_HISTORY_TESTS);
    expect(results.map((r) => r.path)).toContainEqual(
      expect.stringContaining(
        "after history loss a key written again, at a revision above the lost history's,",
      ),
    );
    expect(results.map((r) => [r.path, r.error])).toEqual(results.map((r) => [r.path, undefined]));
  });

  it("fails them, naming the capability, when it declares that its revisions restart", async () => {
    const results = await runTests(target({ restarts: false }, true), PRECONDITION_TESTS);
    for (const result of results) {
      expect(String((result.error as Error | undefined)?.message), result.path).toMatch(
        /revisionsRestart: true, .* declare revisionsRestart: false/,
      );
    }
  });

  it("a store whose revisions restart fails them, naming the capability, when it declares revisionsRestart: false", async () => {
    const results = await runTests(target({ restarts: true }, false), PRECONDITION_TESTS);
    for (const result of results) {
      expect(String((result.error as Error | undefined)?.message), result.path).toMatch(
        /revisionsRestart: false, .* declare revisionsRestart: true/,
      );
    }
  });
});
