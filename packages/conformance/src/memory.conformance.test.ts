// The whole suite against core's memory backend: the reference every other backend is measured by.
import { describe, it } from "vitest";
import { runConformanceSuite } from "./index.js";
import { memoryTarget } from "./memory-target.test-helpers.js";

runConformanceSuite({ describe, it }, memoryTarget);
