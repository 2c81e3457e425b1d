// Fault: the only nats-server (R1 bucket, file storage) dies with SIGKILL mid-traffic and comes back on the
// same port and store. Nothing acknowledged may be lost; every replica must converge by itself.
// Rules cited here: docs/semantics.md#rule-10.
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { envMs, reportScenario, seconds, since } from "./chaos-report.test-helpers.js";
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

    const killedAt = Date.now();
    await server.kill("SIGKILL");
    await waitFor(() => hosts.every((host) => host.cache.status().state === "stale"), {
      timeoutMs: 20_000,
      what: "every replica to report stale",
    });
    const staleAfterMs = since(killedAt);
    for (const host of hosts) {
      expect(host.cache.claims.list().length + host.cache.refmaps.size).toBeGreaterThan(0);
      expect(host.cache.status().staleForMs).toBeGreaterThan(0);
    }
    await sleep(Math.max(0, DOWN_MS - since(killedAt)));
    const failedWhileDown = workload.stats().failed["BACKEND_UNAVAILABLE"] ?? 0;

    await server.restart();
    const restartedAt = Date.now();
    const recoveredMs = await scenario.everyReplicaLiveAfter(restartedAt, "the restart");
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
        acknowledged: stats.acknowledged,
        failed: stats.failed["BACKEND_UNAVAILABLE"] ?? 0,
        failedWhileDown,
        maxFailureMs: stats.maxFailureMs,
        maxSuccessMs: stats.maxSuccessMs,
        revision: converged.revision,
        seed: workload.seed,
      },
    );
  }, 150_000);
});
