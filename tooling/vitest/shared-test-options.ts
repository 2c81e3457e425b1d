// The vitest settings every package's tests share (each package's vitest.config.ts spreads them): real servers
// in forked workers, two at a time on the 2-core CI machine, generous timeouts, and a JSON report for the
// test runner's summary line (tooling/setup/run-tests.mjs).
import type { ViteUserConfig } from "vitest/config";

type TestOptions = NonNullable<ViteUserConfig["test"]>;

/** The shared `test` options. */
export const sharedTestOptions = {
  include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  pool: "forks",
  maxWorkers: 2,
  testTimeout: 60_000,
  hookTimeout: 120_000,
  reporters: ["default", "json"],
  outputFile: { json: ".test-results/vitest.json" },
} satisfies TestOptions;
