// The whole suite as a list of tests, in reading order: the seam, the wire format, rules 1–11, then the
// change events, status(), a store with no fault and close().
// Rules cited here: docs/semantics.md#rule-1, #rule-11, #rule-12.
import { type ConformanceOptions, resolveOptions } from "./conformance-options.js";
import type { ConformanceTarget, TargetFeatures } from "./conformance-target.js";
import { buildTests, type ConformanceTest, type TestGroup } from "./conformance-test.js";
import { backendContract } from "./groups/backend-contract.js";
import { changeEvents } from "./groups/change-events.js";
import { noFaultNoResync } from "./groups/no-fault-no-resync.js";
import { rule1TotalOrder } from "./groups/rule-01-total-order.js";
import { rule2Convergence } from "./groups/rule-02-convergence.js";
import { rule3LastWriterWins } from "./groups/rule-03-last-writer-wins.js";
import { rule4ConditionalWrites } from "./groups/rule-04-conditional-writes.js";
import { rule5AtomicEdits } from "./groups/rule-05-atomic-edits.js";
import { rule6Compaction } from "./groups/rule-06-compaction.js";
import { rule6Tombstones } from "./groups/rule-06-tombstones.js";
import { rule7ReadYourWrites } from "./groups/rule-07-read-your-writes.js";
import { rule8InitialSync } from "./groups/rule-08-initial-sync.js";
import { rule9GapsHealed } from "./groups/rule-09-gaps-healed.js";
import { rule10Availability } from "./groups/rule-10-availability.js";
import { rule11Validation } from "./groups/rule-11-validation.js";
import { cacheClose, cacheStatus } from "./groups/status-and-close.js";
import { wireFormat } from "./groups/wire-format.js";

/** Every group; each adds only the tests the target's capabilities and backdoor imply. Rule 12 is legacy's own. */
const GROUPS: readonly TestGroup[] = [
  backendContract,
  wireFormat,
  rule1TotalOrder,
  rule2Convergence,
  rule3LastWriterWins,
  rule4ConditionalWrites,
  rule5AtomicEdits,
  rule6Tombstones,
  rule6Compaction,
  rule7ReadYourWrites,
  rule8InitialSync,
  rule9GapsHealed,
  rule10Availability,
  rule11Validation,
  changeEvents,
  cacheStatus,
  noFaultNoResync,
  cacheClose,
];

/**
 * The conformance tests that apply to a target with `features` (see `probeTarget`), each runnable on its
 * own. `runConformanceSuite` registers these with a test runner; use this directly to run a subset.
 */
export function conformanceTests(
  target: ConformanceTarget,
  features: TargetFeatures,
  options?: ConformanceOptions,
): ConformanceTest[] {
  return buildTests(GROUPS, target, features, resolveOptions(target, options));
}
