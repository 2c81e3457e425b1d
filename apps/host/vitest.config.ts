import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The CLI tests spawn dist/bin/lattice.js: build it first when it is missing or stale.
    globalSetup: ["src/test-support/build-dist.test-helpers.ts"],
    // tsyringe needs the decorator metadata polyfill before any injectable class is imported.
    setupFiles: ["reflect-metadata"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default", "json"],
    outputFile: { json: ".test-results/vitest.json" },
  },
});
