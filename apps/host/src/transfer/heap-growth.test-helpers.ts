// Measuring what a transfer keeps in memory, for the "memory stays flat" specs: the collector (when this Node
// lets a test call it) and the bytes still used after a full collection.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The collector, when this Node lets a test call it (`--expose-gc` set at run time); else undefined. */
export function collector(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}

/** Heap used plus array buffers after running `gc`: what is retained, not garbage not yet collected. */
export function retainedBytes(gc: () => void): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
