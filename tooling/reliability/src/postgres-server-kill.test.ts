// Fault: PostgreSQL's postmaster dies with SIGKILL while three hosts write, and is started again on the same
// port and data (crash recovery). The harness's server commits synchronously (synchronous_commit=on; its
// fsync=off matters to a machine crash, not to a process crash): nothing acknowledged may be lost, and every
// replica must reconnect and converge by itself, in the same history (no resync).
// Rules cited here: docs/semantics.md#rule-10.
import { POSTGRES_BACKEND_DEFAULTS } from "@lattice-cache/postgres";
import { afterAll, describe, expect, it } from "vitest";
import { envMs, reportScenario, seconds } from "./chaos-report.test-helpers.js";
import { PostgresScenario } from "./postgres-scenario.test-helpers.js";
import { killAndRestart, workloadFigures } from "./scenario-steps.test-helpers.js";

const DOWN_MS = envMs("LATTICE_CHAOS_DOWN_MS", 3_000);
/** A busy 2-core machine may delay a timer by a few seconds; the bound is about hangs, not precision. */
const SLACK_MS = 4_000;

const scenario = new PostgresScenario();

afterAll(() => scenario.close());

describe("fault: PostgreSQL killed with SIGKILL and restarted (crash recovery)", () => {
  it("rule 10: reads answer while it is down, writes fail fast; afterwards every replica converges and no acknowledged write is lost", async () => {
    const { server, hosts, workload } = await scenario.start({ prefixStem: "pgkill" });
    const ackedBeforeKill = workload.stats().acknowledged;
    const { killedAt, staleAfterMs, failedWhileDown, restartAt, restartedAt, recoveredMs } =
      await killAndRestart({
        server,
        hosts,
        workload,
        downMs: DOWN_MS,
        liveAfter: (since, what) => scenario.everyReplicaLiveAfter(since, what),
      });
    expect(failedWhileDown).toBeGreaterThan(0);
    await workload.waitForAcks(30);
    const converged = await scenario.converge();
    const stats = workload.stats();
    expect(stats.unexpected).toEqual([]);
    // Fail fast: refused or cut connections fail at once; nothing waits longer than the client's timeout.
    expect(stats.maxFailureMs).toBeLessThan(POSTGRES_BACKEND_DEFAULTS.queryTimeoutMs + SLACK_MS);
    // Same history: the replicas resumed after their revision, none had to start over.
    const resyncs = hosts.reduce((n, h) => n + h.cache.status().counters.resyncs, 0);
    expect(resyncs).toBe(0);

    reportScenario(
      "postgres-kill",
      `replicas stale ${seconds(staleAfterMs)} after SIGKILL; live again ${seconds(recoveredMs)} after the restart ` +
        `(down ${seconds(restartedAt - killedAt)}, of which ${seconds(restartedAt - restartAt)} restart and crash ` +
        `recovery), no resync; ${stats.acknowledged} writes acknowledged (${ackedBeforeKill} before the kill), ` +
        `${failedWhileDown} failed while down (slowest failure ${seconds(stats.maxFailureMs)}), 0 acknowledged ` +
        `lost; ${converged.liveEntries} entries, digest ${converged.digest.slice(0, 8)}`,
      {
        staleAfterMs,
        downMs: restartedAt - killedAt,
        restartMs: restartedAt - restartAt,
        recoveredMs,
        resyncs,
        ackedBeforeKill,
        failedWhileDown,
        ...workloadFigures(workload, converged),
      },
    );
  }, 120_000);
});
