import { defineConfig } from "vitest/config";

// Fault scenarios start and kill real servers: one file at a time, so they do not fight for the 2 cores.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ["default", "json"],
    outputFile: { json: ".test-results/vitest.json" },
  },
});
