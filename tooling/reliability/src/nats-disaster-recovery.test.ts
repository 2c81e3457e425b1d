// Disaster recovery on JetStream: the only nats-server (R1 bucket, file storage) is killed, its store
// directory wiped and the server restarted empty on the same port; `lattice import` of an export taken
// before brings every running host back to exactly the exported entries.
// Rules cited here: docs/semantics.md#rule-9.
import { rm } from "node:fs/promises";
import { JetStreamBackend } from "@lattice-cache/jetstream";
import { startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { DisasterRecovery } from "./disaster-recovery.test-helpers.js";

const scenario = new DisasterRecovery(async () => {
  const server = await startNatsServer();
  return {
    backend: "jetstream",
    flags: ["--backend", "jetstream", "--nats-url", server.url],
    writerBackend: (prefix, logger) =>
      new JetStreamBackend({ servers: server.url, prefix, hostId: "writer", logger }),
    loss: "nats-server killed, its store directory wiped, restarted empty",
    async loseStorage() {
      await server.kill("SIGKILL");
      await rm(server.storeDir, { recursive: true, force: true });
      await server.restart();
      return Date.now();
    },
  };
});

afterAll(() => scenario.close());

describe("disaster recovery: JetStream store lost, restored with lattice import", () => {
  it("rule 9: every running host resyncs to the imported data, nothing of the export missing", async () => {
    await scenario.run("drjs");
  }, 150_000);
});
