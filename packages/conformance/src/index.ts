// @lattice-cache/conformance — the only public door of the package: the shared suite every backend must pass.

export type { ConformanceOptions } from "./conformance-options.js";
export { PATH_ENV, SEED_ENV, SUITE_REPLICA_TIMING } from "./conformance-options.js";
export type {
  ConformanceBackdoor,
  ConformanceStore,
  ConformanceTarget,
  TargetFeatures,
  TestApi,
} from "./conformance-target.js";
export type { ConformanceTest } from "./conformance-test.js";
export { conformanceTests } from "./conformance-tests.js";
export { FeedStall } from "./feed-stall.js";
export { OUTCOME_UNKNOWN } from "./groups/status-and-close.js";
export { probeTarget } from "./probe-target.js";
export { runConformanceSuite } from "./run-conformance-suite.js";
