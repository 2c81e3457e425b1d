import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../tooling/vitest/shared-test-options.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    // The CLI tests spawn dist/bin/lattice.js: build it first when it is missing or stale.
    globalSetup: ["src/test-support/build-dist.test-helpers.ts"],
    // tsyringe needs the decorator metadata polyfill before any injectable class is imported.
    setupFiles: ["reflect-metadata"],
  },
});
