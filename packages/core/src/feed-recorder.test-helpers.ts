// A feed sink that records what a feed tells it, one line a call (`entry KEY@REV`, `synced REV`, `gap …`,
// `connection true|false`, `check …`), for core's feed tests.
import type { BackendEntry, BackendHead, FeedSink } from "./backend.js";

/** A recording sink, its lines, the head of its `synced` (if any) and its first gap's line (if any). */
export function recorder() {
  const calls: string[] = [];
  let synced: BackendHead | undefined;
  const sink: FeedSink = {
    entry: (e: BackendEntry) => calls.push(`entry ${e.key}@${e.revision}`),
    synced: (h) => {
      synced = h;
      calls.push(`synced ${h.revision}`);
    },
    gap: (reason) => calls.push(`gap ${reason}`),
    connection: (up) => calls.push(`connection ${up}`),
    check: (reason) => calls.push(`check ${reason}`),
  };
  return { calls, sink, synced: () => synced, gap: () => calls.find((c) => c.startsWith("gap")) };
}
