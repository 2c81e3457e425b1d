import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../tooling/vitest/shared-test-options.js";

export default defineConfig({ test: sharedTestOptions });
