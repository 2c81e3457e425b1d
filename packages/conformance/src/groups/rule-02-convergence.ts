// Rule 2: replicas that applied the same revisions hold the same state and digest — checked with random
// concurrent op sequences from several hosts (fast-check), replayable by seed and path.
// Rules cited here: docs/semantics.md#rule-2, #rule-12.
import { AssertionError } from "node:assert/strict";
import { errorText, type LatticeCache, LatticeCacheError } from "@lattice-cache/core";
import fc from "fast-check";
import type { ResolvedOptions } from "../conformance-options.js";
import { PATH_ENV, SEED_ENV } from "../conformance-options.js";
import type { ConformanceTarget } from "../conformance-target.js";
import type { TestGroup } from "../conformance-test.js";
import { expectSameReplicas } from "../replica-contents.js";
import { type KeySlot, sampleKeySpace } from "../sample-values.js";
import { withStore } from "../store-session.js";
import { expectReplicaMatchesStore } from "../stored-entries.js";

/** Replicas in every convergence run (docs/semantics.md asks for at least three). */
const REPLICAS = 3;

/** What one random op does; the conditional ones may legitimately lose with a ConflictError. */
type OpKind = "put" | "delete" | "conditional-put" | "conditional-delete" | "stale-put" | "update";

/** One generated operation. */
interface Op {
  readonly replica: number;
  readonly slot: number;
  readonly kind: OpKind;
  readonly n: number;
}

const CONDITIONAL: ReadonlySet<OpKind> = new Set([
  "conditional-put",
  "conditional-delete",
  "stale-put",
  "update",
]);

function opArbitrary(slots: number, compareAndSwap: boolean): fc.Arbitrary<Op> {
  const kinds: OpKind[] = compareAndSwap
    ? ["put", "delete", "conditional-put", "conditional-delete", "stale-put", "update"]
    : ["put", "delete"];
  return fc.record(
    {
      replica: fc.nat({ max: REPLICAS - 1 }),
      slot: fc.nat({ max: slots - 1 }),
      kind: fc.constantFrom(...kinds),
      n: fc.nat({ max: 999 }),
    },
    // Plain objects print cleanly in the counterexample of a failure report.
    { noNullPrototype: true },
  );
}

async function runOp(cache: LatticeCache, slot: KeySlot, op: Op): Promise<unknown> {
  const current = slot.entry(cache)?.revision ?? 0;
  switch (op.kind) {
    case "put":
      return slot.put(cache, op.n);
    case "delete":
      return slot.remove(cache);
    case "conditional-put":
      return slot.put(cache, op.n, current);
    case "conditional-delete":
      return slot.remove(cache, current);
    case "stale-put":
      return slot.put(cache, op.n, Math.max(1, current - 1 - (op.n % 3)));
    case "update":
      return slot.increment(cache);
  }
}

/** One property run: a fresh store, three hosts, the batches run concurrently, then the rule-2 checks. */
async function convergenceRun(
  target: ConformanceTarget,
  options: ResolvedOptions,
  batches: readonly (readonly Op[])[],
): Promise<void> {
  await withStore(target, options, async (session) => {
    const caches = await session.cacheGroup(REPLICAS);
    const slots = sampleKeySpace();
    for (const batch of batches) {
      const results = await Promise.allSettled(
        batch.map((op) => runOp(caches[op.replica] as LatticeCache, slots[op.slot] as KeySlot, op)),
      );
      results.forEach((result, i) => {
        if (result.status === "fulfilled") return;
        const op = batch[i] as Op;
        if (CONDITIONAL.has(op.kind) && LatticeCacheError.hasCode(result.reason, "CONFLICT")) return;
        throw new AssertionError({
          message: `${op.kind} on ${slots[op.slot]?.key} from replica ${op.replica} failed: ${errorText(result.reason)}`,
        });
      });
    }
    await session.settle(caches);
    expectSameReplicas(caches, "after the op sequence");
    for (const cache of caches) {
      await expectReplicaMatchesStore(
        cache,
        session.backdoor,
        slots.map((s) => s.key),
      );
    }
  });
}

/** A seed fast-check accepts, different on every run unless one is given. */
function freshSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
}

/** The rule-2 group (ordered backends only: unordered ones may drift by design, rule 12). */
export const rule2Convergence: TestGroup = {
  title: "rule 2: convergence",
  rule: 2,
  define({ testWithoutStore, features, target, options }) {
    if (!features.capabilities.ordered) return;
    const { compareAndSwap } = features.capabilities;
    const name = compareAndSwap
      ? "random concurrent puts, deletes, conditional writes and updates from 3 replicas converge"
      : "random concurrent puts and deletes from 3 replicas converge";

    testWithoutStore(
      name,
      async () => {
        const slots = sampleKeySpace().length;
        const batches = fc.array(
          fc.array(opArbitrary(slots, compareAndSwap), { minLength: 1, maxLength: 8 }),
          {
            minLength: 1,
            maxLength: 4,
          },
        );
        const seed = options.seed ?? freshSeed();
        const details = await fc.check(
          fc.asyncProperty(batches, (b) => convergenceRun(target, options, b)),
          { seed, path: options.path, numRuns: options.propertyRuns, endOnFailure: true },
        );
        if (!details.failed) return;
        const path = details.counterexamplePath ?? "";
        const report = (await fc.asyncDefaultReportMessage(details)) ?? "";
        const failure = details.errorInstance;
        const error = new AssertionError({
          message:
            `rule 2 convergence failed for ${target.name} (seed ${details.seed}, path "${path}"). ` +
            `Replay with ${SEED_ENV}=${details.seed} ${PATH_ENV}="${path}" or options { seed: ${details.seed}, path: "${path}" }.\n` +
            `${report}\nWhat failed: ${errorText(failure)}`,
        });
        error.cause = failure;
        throw error;
      },
      5,
    );
  },
};
