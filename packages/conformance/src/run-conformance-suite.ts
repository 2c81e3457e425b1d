// Registers the suite with an injected test runner: one describe per target, one per rule, one it per test.
import { errorText } from "@lattice-cache/core";
import { type ConformanceOptions, resolveOptions } from "./conformance-options.js";
import type { ConformanceTarget, TestApi } from "./conformance-target.js";
import { conformanceTests } from "./conformance-tests.js";
import { probeTarget } from "./probe-target.js";

/**
 * Registers every conformance test the target's declared capabilities (and backdoor switches) imply.
 *
 * ```ts
 * import { describe, it } from "vitest";
 * import { runConformanceSuite } from "@lattice-cache/conformance";
 * runConformanceSuite({ describe, it }, myTarget);
 * ```
 *
 * The suite probes one store while tests are collected (to read capabilities), so start servers at module
 * top level or lazily inside `newStore()`, and let the runner await async describe callbacks (vitest and
 * `node:test` do). If the probe fails, a single failing test says why.
 */
export function runConformanceSuite(
  test: TestApi,
  target: ConformanceTarget,
  options?: ConformanceOptions,
): void {
  // Validate options now so a typo fails at collection, not halfway through a run.
  resolveOptions(target, options);
  const register = async () => {
    let features: Awaited<ReturnType<typeof probeTarget>>;
    try {
      features = await probeTarget(target);
    } catch (error) {
      test.it("probe: create a store, connect a backend and read its capabilities", () => {
        throw new Error(`the conformance suite could not probe ${target.name}: ${errorText(error)}`, {
          cause: error,
        });
      });
      return;
    }
    const groups = new Map<string, ReturnType<typeof conformanceTests>>();
    for (const t of conformanceTests(target, features, options)) {
      const list = groups.get(t.group) ?? [];
      list.push(t);
      groups.set(t.group, list);
    }
    for (const [group, tests] of groups) {
      test.describe(group, () => {
        for (const t of tests) test.it(t.name, () => t.run(), t.timeoutMs);
      });
    }
  };
  test.describe(`lattice-cache conformance: ${target.name}`, register);
}
