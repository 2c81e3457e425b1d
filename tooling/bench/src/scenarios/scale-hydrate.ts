// scale.hydrate.1m and scale.hydrate.1m.memory: a cold replica start over a bucket of a million link
// definitions until ready(), versus a raw kv.watch() replay that JSON-parses every value into a Map; the time
// and the heap each keeps per entry. Full runs only.
import { errorText, NotReadyError } from "@lattice-cache/core";
import type { NatsServerHandle } from "@lattice-cache/test-harness";
import type { BenchContext } from "../bench-context.js";
import { openReadyCache, rawBucket, rawConnect } from "../clients.js";
import { retainedHeap } from "../measure.js";
import { applyEntry } from "../raw-peer.js";
import { type BenchResult, judge, sizeLabel } from "../result.js";
import { fillBucket, rawReplay } from "../sample-bucket.js";

/** Publishes awaiting their acks while the bucket is filled. */
const FILL_IN_FLIGHT = 1024;
/** How long the cold start may take before the row reports it as not ready (the raw replay takes ~30 s). */
const READY_TIMEOUT_MS = 5 * 60_000;
/** nats.js's JetStream API timeout for the raw watcher: its creation on a million subjects takes seconds. */
const RAW_API_TIMEOUT_MS = 60_000;

/**
 * Our cold start: a new cache on the bucket until `ready()` — its time (ms) and retained heap per entry. A
 * replica that does not become ready within {@link READY_TIMEOUT_MS} is reported, not thrown: `ms` is then
 * the time waited (a lower bound) and the heap is not measured (NaN).
 */
async function coldStart(
  servers: string,
  prefix: string,
  n: number,
): Promise<{ ms: number; bytesPerEntry: number; notReady?: string }> {
  const started = performance.now();
  try {
    const ours = await retainedHeap(() =>
      openReadyCache({ servers, prefix, hostId: "scale-cold" }, READY_TIMEOUT_MS),
    );
    const size = ours.value.linkdefs.size;
    await ours.value.close();
    if (size !== n) throw new Error(`replica holds ${size} entries, expected ${n}`);
    return { ms: ours.ms, bytesPerEntry: ours.bytes / n };
  } catch (error) {
    if (!(error instanceof NotReadyError)) throw error;
    return { ms: performance.now() - started, bytesPerEntry: Number.NaN, notReady: errorText(error) };
  }
}

/** Runs the million-entry hydrate scenario on `server`. */
export async function scaleHydrateScenario(
  ctx: BenchContext,
  server: NatsServerHandle,
): Promise<BenchResult[]> {
  const n = ctx.sizes.scaleHydrateEntries;
  const label = sizeLabel(n);
  const prefix = ctx.newPrefix("scale_hydrate");
  const nc = await rawConnect(server.url);
  try {
    ctx.progress(
      `scale.hydrate.${label}: filling a bucket with ${n.toLocaleString("en-US")} link definitions`,
    );
    const fillStart = performance.now();
    await fillBucket(nc, prefix, n, {
      inFlight: FILL_IN_FLIGHT,
      progressEvery: 100_000,
      progress: (done) => ctx.progress(`scale.hydrate.${label}: ${done.toLocaleString("en-US")} written`),
    });
    const fillRate = n / ((performance.now() - fillStart) / 1000);

    ctx.progress(`scale.hydrate.${label}: raw kv.watch() replay + JSON.parse into a Map`);
    const kv = await rawBucket(nc, prefix, RAW_API_TIMEOUT_MS);
    const raw = await retainedHeap(async () => {
      const map = new Map<string, unknown>();
      const replay = await rawReplay(kv, (entry) => applyEntry(map, entry));
      return { map, replay };
    });
    if (raw.value.map.size !== n)
      throw new Error(`raw replay holds ${raw.value.map.size} entries, expected ${n}`);
    const rawMs = raw.ms;
    const rawBytes = raw.bytes / n;
    raw.value.map.clear();

    ctx.progress(`scale.hydrate.${label}: our replica's cold start until ready()`);
    const ours = await coldStart(server.url, prefix, n);

    const perSecond = (ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en-US");
    const notes =
      `${n.toLocaleString("en-US")} entries (filled at ${Math.round(fillRate).toLocaleString("en-US")}/s); ` +
      (ours.notReady === undefined
        ? `ours ${perSecond(ours.ms)}/s, raw ${perSecond(rawMs)}/s`
        : `ours NOT READY, gave up after ${Math.round(ours.ms / 1000)} s (${ours.notReady}); raw ${perSecond(rawMs)}/s`);
    const peerDoes = "raw kv.watch() replay, JSON.parse of every value into a Map by key";
    return [
      judge({
        name: `scale.hydrate.${label}`,
        ours: ours.ms,
        baseline: { value: rawMs, does: peerDoes },
        unit: "ms",
        goal: { kind: "ratio-at-most", value: 1.5 },
        notes,
      }),
      judge({
        name: `scale.hydrate.${label}.memory`,
        ours: ours.bytesPerEntry,
        baseline: { value: rawBytes, does: "retained heap of that Map of parsed values, per entry" },
        unit: "bytes/entry",
        goal: { kind: "ratio-at-most", value: 1.5 },
        notes:
          ours.notReady === undefined
            ? "heap after gc minus before"
            : "ours not measured: the replica did not become ready",
      }),
    ];
  } finally {
    await nc.close();
  }
}
