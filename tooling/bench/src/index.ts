// @lattice-cache/bench — the only public door: the benchmark runner and its result format.
export type { BenchSizes } from "./bench-context.js";
export { type BenchResult, formatTable, type Goal, judge } from "./result.js";
export { FULL_SIZES, QUICK_SIZES, runBenchmarks, SCENARIOS } from "./run-benchmarks.js";
