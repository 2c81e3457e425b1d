// Fault: the only nats-server (R1 bucket, file storage) dies with SIGKILL mid-traffic and comes back on the
// same port and store. Nothing acknowledged may be lost; every replica must converge by itself.
// Rules cited here: docs/semantics.md#rule-10.
import { afterAll, describe, expect, it } from "vitest";
import { envMs, reportScenario, seconds } from "./chaos-report.test-helpers.js";
import { killAndRestart, workloadFigures } from "./scenario-steps.test-helpers.js";
import { SingleServerScenario } from "./single-server-scenario.test-helpers.js";

const WRITE_DEADLINE_MS = 3_000;
const DOWN_MS = envMs("LATTICE_CHAOS_DOWN_MS", 5_000);

const scenario = new SingleServerScenario();

afterAll(() => scenario.close());

describe("fault: nats-server killed with SIGKILL and restarted (R1 bucket, file storage)", () => {
  it("rule 10: reads keep answering while it is down; afterwards every replica converges and no acknowledged write is lost", async () => {
    const { server, hosts, workload } = await scenario.start({
      prefixStem: "kill",
      hostOptions: () => ({ writeDeadlineMs: WRITE_DEADLINE_MS }),
    });
    const { killedAt, staleAfterMs, failedWhileDown, restartedAt, recoveredMs } = await killAndRestart({
      server,
      hosts,
      workload,
      downMs: DOWN_MS,
      liveAfter: (since, what) => scenario.everyReplicaLiveAfter(since, what),
    });
    await workload.waitForAcks(30);
    const converged = await scenario.converge();
    const stats = workload.stats();
    expect(stats.unexpected).toEqual([]);
    expect(stats.maxFailureMs).toBeLessThan(WRITE_DEADLINE_MS + 5_000);
    for (const host of hosts) expect(host.cache.status().counters.resyncs).toBe(0);

    reportScenario(
      "nats-kill",
      `replicas stale ${seconds(staleAfterMs)} after SIGKILL; live again ${seconds(recoveredMs)} after restart ` +
        `(down ${seconds(restartedAt - killedAt)}); ${stats.acknowledged} writes acknowledged, ` +
        `${stats.failed["BACKEND_UNAVAILABLE"] ?? 0} failed fast (slowest failure ${seconds(stats.maxFailureMs)}), ` +
        `0 acknowledged lost; ${converged.liveEntries} entries, digest ${converged.digest.slice(0, 8)}`,
      {
        staleAfterMs,
        downMs: restartedAt - killedAt,
        recoveredMs,
        failedWhileDown,
        ...workloadFigures(workload, converged),
      },
    );
  }, 150_000);
});
