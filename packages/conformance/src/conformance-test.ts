// The unit the suite is made of: a named test in a group, runnable on its own (runConformanceSuite hands
// these to the runner; the suite's own tests run them directly against broken backends).
// Rules cited here: docs/semantics.md#rule-4, #rule-6.
import type { ResolvedOptions } from "./conformance-options.js";
import type { ConformanceTarget, TargetFeatures } from "./conformance-target.js";
import { type StoreSession, withStore } from "./store-session.js";

/** One conformance test. */
export interface ConformanceTest {
  /** Its describe block, e.g. `rule 4: conditional writes`. */
  readonly group: string;
  /** The docs/semantics.md rule it checks, or undefined for contract and wire-format tests. */
  readonly rule: number | undefined;
  /** Its name inside the group. */
  readonly name: string;
  /** Its timeout. */
  readonly timeoutMs: number;
  /** Runs it against a fresh store; rejects when the target does not conform. */
  run(): Promise<void>;
}

/** What a group's definition gets to add its tests. */
export interface GroupBuilder {
  readonly target: ConformanceTarget;
  readonly features: TargetFeatures;
  readonly options: ResolvedOptions;
  /** Adds a test whose body gets a fresh store (released afterwards); `timeoutFactor` scales the test timeout. */
  test(name: string, body: (session: StoreSession) => Promise<void>, timeoutFactor?: number): void;
  /** Adds a test that manages stores itself (property tests make one per run). */
  testWithoutStore(name: string, run: () => Promise<void>, timeoutFactor?: number): void;
}

/** A describe block of the suite. */
export interface TestGroup {
  /** e.g. `rule 6: deletes are tombstones`. */
  readonly title: string;
  readonly rule?: number;
  /** Adds the tests the target's features imply. */
  define(builder: GroupBuilder): void;
}

/** Builds the tests of `groups` for a target with `features`. Groups that add nothing are left out. */
export function buildTests(
  groups: readonly TestGroup[],
  target: ConformanceTarget,
  features: TargetFeatures,
  options: ResolvedOptions,
): ConformanceTest[] {
  const tests: ConformanceTest[] = [];
  for (const group of groups) {
    const add = (name: string, run: () => Promise<void>, timeoutFactor = 1) =>
      tests.push({
        group: group.title,
        rule: group.rule,
        name,
        timeoutMs: options.testTimeoutMs * timeoutFactor,
        run,
      });
    group.define({
      target,
      features,
      options,
      test: (name, body, timeoutFactor) => add(name, () => withStore(target, options, body), timeoutFactor),
      testWithoutStore: add,
    });
  }
  return tests;
}
