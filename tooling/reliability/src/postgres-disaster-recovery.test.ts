// Disaster recovery on PostgreSQL: the lattice's schema is dropped (`DROP SCHEMA … CASCADE`, as a database
// restored without it) under three running hosts; `lattice import` of an export taken before brings every
// running host back to exactly the exported entries.
// Rules cited here: docs/semantics.md#rule-9.
import { PostgresBackend } from "@lattice-cache/postgres";
import { RawPostgresLattice } from "@lattice-cache/postgres/testing";
import { startPostgresServer } from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { DisasterRecovery } from "./disaster-recovery.test-helpers.js";

const scenario = new DisasterRecovery(async () => {
  const server = await startPostgresServer();
  return {
    backend: "postgres",
    flags: ["--backend", "postgres", "--postgres-url", server.url],
    writerBackend: (prefix, logger) => new PostgresBackend({ url: server.url, prefix, logger }),
    loss: "the lattice's schema dropped",
    async loseStorage(prefix) {
      const raw = new RawPostgresLattice(server.url, prefix);
      try {
        await raw.loseHistory();
      } finally {
        await raw.close();
      }
      return Date.now();
    },
  };
});

afterAll(() => scenario.close());

describe("disaster recovery: PostgreSQL schema dropped, restored with lattice import", () => {
  it("rule 9: every running host resyncs to the imported data, nothing of the export missing", async () => {
    await scenario.run("drpg");
  }, 150_000);
});
