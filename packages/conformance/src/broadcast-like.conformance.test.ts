// The whole suite against a memory store posing as the generation-1 broadcast: every test an unordered
// backend gets must pass on one that refuses exactly what generation 1 refuses.
import { describe, it } from "vitest";
import { broadcastLikeTarget } from "./broadcast-like-target.test-helpers.js";
import { runConformanceSuite } from "./index.js";

runConformanceSuite({ describe, it }, broadcastLikeTarget());
