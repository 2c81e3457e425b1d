import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../tooling/vitest/shared-test-options.js";

// One file whose steps build on each other (pack, install, use); npm install alone can take a minute or two on
// a cold cache, so the hooks and tests get more time than the shared defaults.
export default defineConfig({
  test: {
    ...sharedTestOptions,
    testTimeout: 180_000,
    hookTimeout: 420_000,
  },
});
