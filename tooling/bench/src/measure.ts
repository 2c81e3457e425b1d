// Measuring helpers: throughput over a time budget with bounded concurrency, and latency percentiles.

/** Runs `op(i)` with `concurrency` in flight until `durationMs` passes or `maxOps` ops completed; returns ops/s. */
export async function throughput(
  op: (i: number) => Promise<unknown>,
  options: { concurrency: number; durationMs: number; maxOps?: number },
): Promise<{ opsPerSecond: number; ops: number }> {
  const maxOps = options.maxOps ?? Number.MAX_SAFE_INTEGER;
  const started = performance.now();
  const deadline = started + options.durationMs;
  let issued = 0;
  let done = 0;
  async function worker(): Promise<void> {
    while (issued < maxOps && performance.now() < deadline) {
      const i = issued++;
      await op(i);
      done++;
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { opsPerSecond: done / seconds, ops: done };
}

/** The three sides of a throughput row: ours, the equal-work peer, the bare client. */
export interface ThroughputSides {
  readonly ours: (i: number) => Promise<unknown>;
  readonly peer: (i: number) => Promise<unknown>;
  readonly bare: (i: number) => Promise<unknown>;
}

/**
 * Ops per second of each side: every side warmed for 300 ms, then the three alternated twice (bare, peer,
 * ours), each keeping its better run, so a noisy moment costs no side more than one run.
 */
export async function compareThroughput(
  sides: ThroughputSides,
  options: { concurrency: number; durationMs: number },
): Promise<{ ours: number; peer: number; bare: number }> {
  for (const op of Object.values(sides)) await throughput(op, { ...options, durationMs: 300 });
  const best = { ours: 0, peer: 0, bare: 0 };
  for (let round = 0; round < 2; round++) {
    for (const side of ["bare", "peer", "ours"] as const) {
      best[side] = Math.max(best[side], (await throughput(sides[side], options)).opsPerSecond);
    }
  }
  return best;
}

/** Calls a synchronous `op` in a tight loop for `durationMs`; returns calls per second. */
export function syncThroughput(op: (i: number) => unknown, durationMs: number): number {
  let sink = 0;
  let n = 0;
  const started = performance.now();
  let now = started;
  while (now - started < durationMs) {
    for (let k = 0; k < 10_000; k++) {
      if (op(n++) !== undefined) sink++;
    }
    now = performance.now();
  }
  if (sink < 0) console.log(sink);
  return n / ((now - started) / 1000);
}

/** The p-th percentile (0–100) of samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/** Forces garbage collection when node runs with --expose-gc; returns heap used afterwards. */
export async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().heapUsed;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Runs `build` between two forced collections (see {@link settledHeap}); returns what it built, how long it
 * took (ms) and how much more heap is in use afterwards while the result is still held.
 */
export async function retainedHeap<T>(
  build: () => Promise<T>,
): Promise<{ value: T; ms: number; bytes: number }> {
  const before = await settledHeap();
  const started = performance.now();
  const value = await build();
  const ms = performance.now() - started;
  const bytes = (await settledHeap()) - before;
  return { value, ms, bytes };
}
