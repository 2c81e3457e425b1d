// Finds out, once, what a target declares: its backend's capabilities and its backdoor's fault switches.
import { compactionUnsupported } from "@lattice-cache/core";
import type { ConformanceTarget, TargetFeatures } from "./conformance-target.js";

/**
 * Creates one store, connects one backend (without opening it) and reads what they declare; releases both.
 * Throws what `newStore`/`connect` throw.
 */
export async function probeTarget(target: ConformanceTarget): Promise<TargetFeatures> {
  const store = await target.newStore();
  try {
    const backend = await store.connect();
    const capabilities = { ...backend.capabilities };
    const compaction = compactionUnsupported(backend) === undefined;
    // Never opened, so closing it must not fail the probe; the tests exercise close() properly.
    try {
      await backend.close();
    } catch {
      // ignored on purpose
    }
    const door = store.backdoor;
    return {
      capabilities,
      compaction,
      backdoor: {
        loseHistory: typeof door.loseHistory === "function",
        checkpoint: typeof door.checkpoint === "function",
        storeRaw: typeof door.storeRaw === "function",
        interruptFeed: typeof door.interruptFeed === "function",
        disconnect: typeof door.disconnect === "function" && typeof door.reconnect === "function",
        blackhole: typeof door.blackhole === "function" && typeof door.reconnect === "function",
        stallFeed: typeof door.stallFeed === "function",
      },
    };
  } finally {
    await store.dispose();
  }
}
