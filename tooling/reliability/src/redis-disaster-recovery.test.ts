// Disaster recovery on Redis: the server loses every key (`FLUSHALL`) under three running hosts; `lattice
// import` of an export taken before brings every running host back to exactly the exported entries.
// Rules cited here: docs/semantics.md#rule-9.
import { RedisBackend } from "@lattice-cache/redis";
import { startRedisServer } from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { DisasterRecovery } from "./disaster-recovery.test-helpers.js";

const scenario = new DisasterRecovery(async () => {
  const server = await startRedisServer();
  return {
    backend: "redis",
    flags: ["--backend", "redis", "--redis-url", server.url],
    writerBackend: (prefix, logger) => new RedisBackend({ url: server.url, prefix, logger }),
    loss: "redis-server flushed (FLUSHALL)",
    async loseStorage() {
      await server.command("FLUSHALL");
      return Date.now();
    },
  };
});

afterAll(() => scenario.close());

describe("disaster recovery: Redis flushed, restored with lattice import", () => {
  it("rule 9: every running host resyncs to the imported data, nothing of the export missing", async () => {
    await scenario.run("drredis");
  }, 150_000);
});
