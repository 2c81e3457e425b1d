// Fault: one host is cut off from NATS by a blackholing proxy (its socket stays open, no byte passes either
// way — a network partition as the client sees it) while the other hosts keep writing; then the cut heals.
// Rules cited here: docs/semantics.md#rule-10.
import { setTimeout as sleep } from "node:timers/promises";
import { startFaultProxy, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { envMs, reportScenario, seconds, since } from "./chaos-report.test-helpers.js";
import { writeMarker } from "./raw-nats.test-helpers.js";
import { SingleServerScenario } from "./single-server-scenario.test-helpers.js";

/** The cut host's write deadline: small, so "fail fast" is visible. */
const WRITE_DEADLINE_MS = 3_000;
const CUT_MS = Math.min(envMs("LATTICE_CHAOS_CUT_MS", 30_000), 30_000);
const SLACK_MS = 4_000;

const scenario = new SingleServerScenario();

afterAll(() => scenario.close());

describe("fault: one host partitioned from NATS (blackhole proxy), the others keep writing", () => {
  it("rule 10: the cut host answers reads as stale and fails writes fast; after the heal it catches up by itself", async () => {
    const server = await startNatsServer();
    const proxy = await startFaultProxy({ target: { port: server.port } });
    // h1 and h2 on the server with the default write deadline; h3, the one to cut, behind the proxy.
    const { hosts, kv, workload } = await scenario.start({
      prefixStem: "cut",
      server,
      hostOptions: (name) =>
        name === "h3" ? { servers: proxy.url("nats"), writeDeadlineMs: WRITE_DEADLINE_MS } : {},
    });
    const cut = hosts[2]!;
    const before = workload.stats();

    proxy.setMode("blackhole");
    const cutAt = Date.now();
    await waitFor(() => cut.cache.status().state === "stale", {
      timeoutMs: 20_000,
      what: "the cut host to report stale",
    });
    const staleAfterMs = since(cutAt);
    const heldWhenCut = cut.cache.claims.list();
    expect(heldWhenCut.length + cut.cache.refmaps.size + cut.cache.linkdefs.size).toBeGreaterThan(0);
    for (const claim of heldWhenCut) expect(cut.cache.claims.get(claim.sub)).toEqual(claim);
    for (const host of hosts.filter((h) => h !== cut)) expect(host.cache.status().state).toBe("live");

    await sleep(Math.max(0, CUT_MS - since(cutAt)));
    const during = workload.stats();
    const cutBefore = before.byHost["h3"]!;
    const cutDuring = during.byHost["h3"]!;
    expect(cut.cache.status().state).toBe("stale");
    expect(cut.cache.status().staleForMs).toBeGreaterThan(CUT_MS / 2);
    expect(cutDuring.failed).toBeGreaterThan(cutBefore.failed);
    const othersAcked = (s: typeof during) => s.byHost["h1"]!.acknowledged + s.byHost["h2"]!.acknowledged;
    expect(othersAcked(during)).toBeGreaterThan(othersAcked(before) + 20);

    proxy.setMode("pass");
    const healedAt = Date.now();
    const marker = await writeMarker(kv, workload);
    await waitFor(
      () => cut.cache.status().state === "live" && cut.cache.status().revision >= marker.revision,
      {
        timeoutMs: 90_000,
        what: "the cut host live again with the writes made during the cut",
      },
    );
    const recoveredMs = since(healedAt);
    const afterHeal = workload.stats().byHost["h3"]!.acknowledged;
    await waitFor(() => workload.stats().byHost["h3"]!.acknowledged > afterHeal + 5, {
      timeoutMs: 60_000,
      what: "the cut host writing again",
    });
    const writingAgainMs = since(healedAt);

    const converged = await scenario.converge();
    const stats = workload.stats();
    expect(stats.unexpected).toEqual([]);
    // Fail fast: no write of the cut host took longer than its deadline (plus a busy machine's slack).
    expect(stats.byHost["h3"]!.maxFailureMs).toBeLessThan(WRITE_DEADLINE_MS + SLACK_MS);

    reportScenario(
      "nats-partition",
      `cut host stale ${seconds(staleAfterMs)} into a ${seconds(healedAt - cutAt)} cut; its writes failed after at most ` +
        `${seconds(stats.byHost["h3"]!.maxFailureMs)} (writeDeadlineMs ${WRITE_DEADLINE_MS}); caught up ` +
        `${seconds(recoveredMs)} after the heal, writing again after ${seconds(writingAgainMs)}; ` +
        `others acknowledged ${othersAcked(during) - othersAcked(before)} writes during the cut; 0 acknowledged lost`,
      {
        staleAfterMs,
        cutMs: healedAt - cutAt,
        recoveredMs,
        writingAgainMs,
        cutHostFailures: cutDuring.failed - cutBefore.failed,
        cutHostMaxFailureMs: stats.byHost["h3"]!.maxFailureMs,
        othersAckedDuringCut: othersAcked(during) - othersAcked(before),
        acknowledged: stats.acknowledged,
        revision: converged.revision,
        seed: workload.seed,
      },
    );
  }, 200_000);
});
