// The whole shared conformance suite against RedisBackend on a real redis-server.
import { runConformanceSuite } from "@lattice-cache/conformance";
import { disposeAll, type RedisServerHandle, startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { standaloneTarget } from "./redis-conformance-target.test-helpers.js";

// Started at module top level: the suite probes a store while tests are collected.
const server: RedisServerHandle = await startRedisServer();

afterAll(async () => {
  await disposeAll();
});

runConformanceSuite(
  { describe, it },
  standaloneTarget(() => server),
);
