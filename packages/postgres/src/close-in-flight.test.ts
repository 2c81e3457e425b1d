// Issue 22 item 6 on PostgreSQL, "truth at the seams": writes in flight when the backend closes. A write the
// server stored must never be reported as failed; one that is rejected was either not stored or says that its
// outcome is unknown. close() waits (bounded by `closeGraceMs`) for the writes already started — those queued
// for a pooled connection included — before it ends the pool; writes started after it fail with CLOSED.
// Rules cited here: docs/semantics.md#rule-10.
import { OUTCOME_UNKNOWN } from "@lattice-cache/conformance";
import { LatticeCacheError } from "@lattice-cache/core/backend";
import {
  disposeAll,
  type FaultProxyHandle,
  type PostgresServerHandle,
  startFaultProxy,
  startPostgresServer,
} from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresBackend } from "./postgres-backend.js";
import { jsonBytes, TEST_TUNING, uniquePrefix, urlThrough } from "./postgres-test-support.test-helpers.js";
import { RawPostgresLattice } from "./raw-lattice.js";

const server: PostgresServerHandle = await startPostgresServer();
const proxy: FaultProxyHandle = await startFaultProxy({ target: { port: server.port } });

afterAll(() => disposeAll());

/** The error a write failed with (undefined when it resolved). */
function outcome(write: Promise<unknown>): Promise<unknown> {
  return write.then(
    () => undefined,
    (error: unknown) => error,
  );
}

const codeOf = (error: unknown) =>
  error === undefined ? "OK" : LatticeCacheError.isInstance(error) ? error.code : "UNTYPED";

describe("issue 22 item 6: PostgreSQL writes in flight at close() are reported truthfully", () => {
  it("200 writes started before close() — more than the pool has connections — all resolve and are stored; a write after close() is CLOSED and not stored", async () => {
    const prefix = uniquePrefix("close");
    const raw = new RawPostgresLattice(server.url, prefix);
    const backend = new PostgresBackend({ url: server.url, prefix, ...TEST_TUNING });
    try {
      await backend.open();
      const keys = Array.from({ length: 200 }, (_, i) => `CLAIMS_MIN${i}`);
      const pending = keys.map((key) => outcome(backend.write({ key, value: jsonBytes(key), origin: "h" })));
      const closing = backend.close();
      const late = outcome(backend.write({ key: "CLAIMS_MLATE", value: jsonBytes(1), origin: "h" }));
      await closing;
      const errors = await Promise.all(pending);

      expect(errors.map(codeOf)).toEqual(keys.map(() => "OK"));
      for (const key of keys) expect(await raw.readRaw(key), key).toBeDefined();
      expect(codeOf(await late)).toBe("CLOSED");
      expect(await raw.readRaw("CLAIMS_MLATE")).toBeUndefined();
    } finally {
      await raw.close();
    }
  });

  it("a silent server — close() returns after closeGraceMs; writes sent say their outcome is unknown, writes still queued for a connection are CLOSED", async () => {
    proxy.setMode("pass");
    const prefix = uniquePrefix("close");
    const backend = new PostgresBackend({
      url: urlThrough(server.url, proxy),
      prefix,
      ...TEST_TUNING,
      poolSize: 2,
      queryTimeoutMs: 20_000,
      statementTimeoutMs: 19_000,
      closeGraceMs: 1_000,
    });
    let errors: unknown[];
    let closedAfterMs: number;
    try {
      await backend.open();
      proxy.setMode("blackhole");
      const pending = Array.from({ length: 10 }, (_, i) =>
        outcome(backend.write({ key: `CLAIMS_MFROZEN${i}`, value: jsonBytes(i), origin: "h" })),
      );
      const started = Date.now();
      await backend.close();
      closedAfterMs = Date.now() - started;
      errors = await Promise.all(pending);
    } finally {
      proxy.setMode("drop");
    }

    for (const error of errors) {
      const code = codeOf(error);
      expect(["CLOSED", "BACKEND_UNAVAILABLE"], String(error)).toContain(code);
      if (code === "BACKEND_UNAVAILABLE") expect(String((error as Error).message)).toMatch(OUTCOME_UNKNOWN);
    }
    expect(errors.some((e) => codeOf(e) === "BACKEND_UNAVAILABLE")).toBe(true);
    // Bounded by the grace (1 s) and the pool's shutdown (1 s), far below the 20 s query timeout.
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(8_000);
  });
});
