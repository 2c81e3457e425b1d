// legacy.bridge: generation-1 broadcasts imported per second by the migration bridge versus a raw core NATS
// subscription receiving the same messages. Report only.
import type { BenchContext } from "../bench-context.js";
import { type BenchResult, judge } from "../result.js";

/** Runs the legacy bridge scenario (wired once the legacy package's bridge API is in place). */
export async function legacyBridgeScenario(_ctx: BenchContext): Promise<BenchResult[]> {
  return [];
}
export { judge as _judge };
