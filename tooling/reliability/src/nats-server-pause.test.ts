// Fault: the nats-server freezes (SIGSTOP) for 20 s with every connection left open — nothing is refused,
// nothing is answered — then continues (SIGCONT) and works off its backlog.
// Rules cited here: docs/semantics.md#rule-10.
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { envMs, reportScenario, seconds, since } from "./chaos-report.test-helpers.js";
import { workloadFigures } from "./scenario-steps.test-helpers.js";
import { SingleServerScenario } from "./single-server-scenario.test-helpers.js";

const WRITE_DEADLINE_MS = 3_000;
const PAUSE_MS = envMs("LATTICE_CHAOS_PAUSE_MS", 20_000);
/** A busy 2-core machine may delay a timer by a few seconds; the bound is about hangs, not precision. */
const SLACK_MS = 4_000;

const scenario = new SingleServerScenario();

afterAll(() => scenario.close());

describe("fault: nats-server frozen with SIGSTOP, then SIGCONT", () => {
  it("rule 10: reads answer and state goes stale; writes fail within writeDeadlineMs or succeed; all converge after", async () => {
    const { server, hosts, workload } = await scenario.start({
      prefixStem: "pause",
      hostOptions: () => ({ writeDeadlineMs: WRITE_DEADLINE_MS }),
    });
    const before = workload.stats();

    server.pause();
    const pausedAt = Date.now();
    await waitFor(() => hosts.every((host) => host.cache.status().state === "stale"), {
      timeoutMs: 15_000,
      what: "every replica to report stale while the server is frozen",
    });
    const staleAfterMs = since(pausedAt);
    // Reads are served from memory: they answer at once, whatever the server does.
    for (const host of hosts) {
      const started = Date.now();
      const claims = host.cache.claims.list();
      for (const claim of claims) expect(host.cache.claims.get(claim.sub)).toEqual(claim);
      expect(since(started)).toBeLessThan(1_000);
    }
    await sleep(Math.max(0, PAUSE_MS - since(pausedAt)));
    const during = workload.stats();
    expect(during.acknowledged - before.acknowledged).toBeLessThanOrEqual(6); // at most those in flight
    expect(during.failed["BACKEND_UNAVAILABLE"] ?? 0).toBeGreaterThan(
      before.failed["BACKEND_UNAVAILABLE"] ?? 0,
    );

    server.resume();
    const resumedAt = Date.now();
    const recoveredMs = await scenario.everyReplicaLiveAfter(resumedAt, "SIGCONT");
    await workload.waitForAcks(30);
    const converged = await scenario.converge();
    const stats = workload.stats();
    expect(stats.unexpected).toEqual([]);
    // Never a hang: a write either resolves or fails by its deadline (plus read-your-writes for successes).
    expect(stats.maxFailureMs).toBeLessThan(WRITE_DEADLINE_MS + SLACK_MS);
    expect(stats.maxSuccessMs).toBeLessThan(WRITE_DEADLINE_MS + 5_000 + SLACK_MS);

    reportScenario(
      "nats-pause",
      `replicas stale ${seconds(staleAfterMs)} after SIGSTOP; writes failed after at most ${seconds(stats.maxFailureMs)} ` +
        `(writeDeadlineMs ${WRITE_DEADLINE_MS}); live again ${seconds(recoveredMs)} after SIGCONT ` +
        `(frozen ${seconds(resumedAt - pausedAt)}); ${stats.acknowledged} acknowledged, ` +
        `${stats.failed["BACKEND_UNAVAILABLE"] ?? 0} failed, 0 acknowledged lost`,
      {
        staleAfterMs,
        pausedMs: resumedAt - pausedAt,
        recoveredMs,
        ...workloadFigures(workload, converged),
      },
    );
  }, 150_000);
});
