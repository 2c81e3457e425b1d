// The suite itself under test: run against deliberately broken backends, the relevant tests must fail —
// a conformance suite that passes everything proves nothing.
// Rules cited here: docs/semantics.md#rule-1, #rule-2, #rule-4, #rule-5, #rule-6, #rule-8, #rule-9.
import { describe, expect, it } from "vitest";
import { broadcastLikeTarget } from "./broadcast-like-target.test-helpers.js";
import { type Breakage, brokenTarget } from "./broken-backends.test-helpers.js";
import { type CapturedResult, CaptureTestApi } from "./capture-test-api.test-helpers.js";
import { type ConformanceOptions, type ConformanceTarget, runConformanceSuite } from "./index.js";

/** The tests the breakages (f) to (h) must fail, by name. */
const SEQUENTIAL_WRITES_TEST =
  "rule 1: total order > one host's sequential writes to one key reach every other replica";
const PUSHED_TEST = "a pushed feed delivers a live change to another replica well under a poll interval";
const RECREATED_STORE_TEST = "a store recreated while a snapshot is being delivered";
const COMPACTION_TEST = "compaction removes only markers older than the cutoff";
const NO_RESYNC_TEST = "no fault, no resync > ";

/** Short waits: every failure below is immediate or bounded by these. */
const FAST: ConformanceOptions = { readyTimeoutMs: 500, waitTimeoutMs: 3000 };

async function runAgainst(
  breakage: Breakage | ConformanceTarget,
  pathIncludes: readonly string[],
  options: ConformanceOptions = {},
): Promise<CapturedResult[]> {
  const api = new CaptureTestApi();
  const target = typeof breakage === "string" ? brokenTarget(breakage) : breakage;
  runConformanceSuite(api, target, { ...FAST, ...options });
  const results = await api.run((path) => pathIncludes.some((p) => path.includes(p)));
  expect(results.length, `tests matching ${pathIncludes.join(" | ")}`).toBeGreaterThan(0);
  return results;
}

function failureOf(results: readonly CapturedResult[], nameIncludes: string): string {
  const result = results.find((r) => r.path.includes(nameIncludes));
  expect(result, `a test named like "${nameIncludes}" ran`).toBeDefined();
  expect(result?.error, `"${result?.path}" must fail`).toBeDefined();
  return String((result?.error as Error | undefined)?.message);
}

describe("the suite fails loudly on broken backends", () => {
  it("(a) a backend that ignores expectedRevision fails rules 4 and 5", async () => {
    const results = await runAgainst("ignores-expected-revision", ["rule 4:", "rule 5:"]);
    expect(failureOf(results, "a stale expectedRevision is refused")).toMatch(
      /expected CONFLICT, but it succeeded/,
    );
    expect(failureOf(results, "creates a missing key, and only once")).toMatch(
      /exactly one of two concurrent creates/,
    );
    expect(failureOf(results, "delete with expectedRevision")).toMatch(/expected CONFLICT/);
    expect(failureOf(results, "lose no edit")).toMatch(/every update got its own revision|stored counter/);
  });

  // A dropped intermediate change to a key is indistinguishable from KV compaction (history 1), which rule 1
  // allows; the loss shows where it matters, as replicas that do not converge (rule 2).
  it("(b) a backend that drops one live change fails rule 2, which names a replayable seed", async () => {
    const results = await runAgainst("drops-one-live-change", ["rule 2:"], { seed: 1234 });
    const message = failureOf(results, "converge");
    expect(message).toMatch(/seed 1234, path "[\d:]+"/);
    expect(message).toContain("LATTICE_CONFORMANCE_SEED=1234");
    expect(message).toMatch(/What failed: .*(holds different entries|digest|serves|does not serve)/);
    // Replaying the reported seed and path reproduces the failure straight away.
    const path = /path "([\d:]+)"/.exec(message)?.[1];
    const replay = await runAgainst("drops-one-live-change", ["rule 2:"], { seed: 1234, path });
    expect(failureOf(replay, "converge")).toContain(`path "${path}"`);
  });

  it("(c) a backend that echoes values but stores garbage fails the stored-format checks", async () => {
    const results = await runAgainst("stores-garbage", ["wire format:"]);
    expect(failureOf(results, "link definition is stored")).toMatch(/the stored link definition/);
    expect(failureOf(results, "claims are stored")).toMatch(/Expected values to be strictly deep-equal/);
    expect(failureOf(results, "reference maps are stored")).toMatch(
      /Expected values to be strictly deep-equal/,
    );
  });

  it("(d) a backend that never reports synced on an empty store fails rule 8 within readyTimeoutMs", async () => {
    const results = await runAgainst("never-syncs-empty", [
      "rule 8: initial-sync barrier > ready() resolves on an empty store",
    ]);
    expect(failureOf(results, "ready() resolves on an empty store")).toMatch(
      /initial sync did not complete within 500 ms/,
    );
    expect(results[0]?.ms).toBeLessThan(10_000);
  });

  it("(e) an unordered backend that acknowledges a claims delete it never sends fails rule 6", async () => {
    const results = await runAgainst(broadcastLikeTarget({ fakesUndeletableDeletes: true }), ["rule 6:"]);
    expect(failureOf(results, "never only locally")).toMatch(/applies the delete of CLAIMS_/);
  });

  // Nothing random decides whether the swap shows: the rule-1 test must catch it on every run.
  it("(f) a backend that swaps the values of two live changes to one key fails rule 1, every run", async () => {
    for (let run = 0; run < 3; run++) {
      const results = await runAgainst("swaps-live-values", [SEQUENTIAL_WRITES_TEST]);
      expect(failureOf(results, SEQUENTIAL_WRITES_TEST), `run ${run + 1}`).toMatch(
        /b: the change at revision 1 must carry the value written at that revision/,
      );
    }
  });

  it("(g) a backend that declares a pushed feed but polls once a second fails the pushed-latency bound", async () => {
    const results = await runAgainst("polls-once-a-second", [PUSHED_TEST]);
    expect(failureOf(results, PUSHED_TEST)).toMatch(
      /must deliver a live change to another replica in well under a poll interval: the median .* is over 200 ms/,
    );
  });

  it("(h) a backend that resumes a snapshot in place on a recreated store fails rule 8", async () => {
    const results = await runAgainst("resumes-snapshot-in-place", [RECREATED_STORE_TEST]);
    expect(failureOf(results, RECREATED_STORE_TEST)).toMatch(/at ready\(\) (does not serve|serves) /);
  });

  it("(i) a backend whose compaction ignores the cutoff fails rule 6", async () => {
    const results = await runAgainst("compacts-young-markers", [COMPACTION_TEST]);
    expect(failureOf(results, COMPACTION_TEST)).toMatch(/a dry run reports exactly the old marker/);
  });

  // Each resync heals its gap, and a store's revisions only jump while another store is written to, so every
  // test that writes to one store passes; the no-resync check writes to a neighbour store as well.
  it("(j) a store whose revision counter the target's stores share, read as contiguous, fails the no-fault no-resync check", async () => {
    const results = await runAgainst("shares-a-revision-counter", [NO_RESYNC_TEST]);
    expect(failureOf(results, NO_RESYNC_TEST)).toMatch(
      /resynced \d+ times? with no fault: .*the log jumped from revision \d+ to \d+/,
    );
  });
});
