// The partition scenario, whatever the backend: h3 reaches the server only through a fault proxy, which
// blackholes it (sockets stay open, no byte passes either way) while h1 and h2 keep writing straight to the
// server; then the cut heals. What must hold (rule 10): the cut host answers reads as `stale` and fails its
// writes by its client timeout, the others stay live and keep writing, and after the heal the cut host
// catches up and writes again by itself, with nothing acknowledged lost.
// Rules cited here: docs/semantics.md#rule-10.
import { setTimeout as sleep } from "node:timers/promises";
import type { FaultProxyHandle } from "@lattice-cache/test-harness";
import { expect } from "vitest";
import { type ChaosHost, waitForHost } from "./chaos-host.test-helpers.js";
import { reportScenario, seconds, since } from "./chaos-report.test-helpers.js";
import type { Converged } from "./convergence.test-helpers.js";
import type { RawPut } from "./marker-write.test-helpers.js";
import { everyReplicaLiveAfter } from "./scenario-steps.test-helpers.js";
import type { Workload, WorkloadStats } from "./workload.test-helpers.js";

/** A started scenario to cut h3 off in, and the bounds it is held to. */
export interface OneHostCut {
  /** The name of the `[chaos]` line and of the figures, e.g. `nats-partition`. */
  readonly scenario: string;
  /** The proxy h3 reaches the server through (in `pass` mode). */
  readonly proxy: FaultProxyHandle;
  /** h1, h2 on the server, h3 behind the proxy, in that order. */
  readonly hosts: readonly ChaosHost[];
  /** Running on every host. */
  readonly workload: Workload;
  /** Writes a marker straight to the server (not through the proxy). */
  readonly put: RawPut;
  /** Stops the workload and checks the end state against the server's. */
  readonly converge: () => Promise<Converged>;
  /** How long the cut lasts. */
  readonly cutMs: number;
  /** The longest the cut host may take to report `stale` (the backend's bound plus slack). */
  readonly staleWithinMs: number;
  /** The cut host's client timeout for a write, its option's name and value (`writeDeadlineMs`, 3000). */
  readonly writeTimeout: { readonly option: string; readonly ms: number };
  /** What a busy machine may add to a timeout. */
  readonly slackMs: number;
  /** Also require that no write of h1 or h2 failed during the cut. Default false. */
  readonly othersNeverFail?: boolean;
}

/** Cuts h3 off for `cutMs`, heals, checks everything the file comment says and reports the figures. */
export async function cutOneHostAndHeal(run: OneHostCut): Promise<void> {
  const { proxy, hosts, workload } = run;
  const cut = hosts[2]!;
  const others = hosts.filter((h) => h !== cut);
  const othersLive = () => {
    for (const host of others) expect(host.cache.status().state, host.name).toBe("live");
  };
  const sum = (s: WorkloadStats, field: "acknowledged" | "failed") =>
    others.reduce((n, host) => n + (s.byHost[host.name]?.[field] ?? 0), 0);
  const before = workload.stats();

  proxy.setMode("blackhole");
  const cutAt = Date.now();
  await waitForHost(
    hosts,
    () => cut.cache.status().state === "stale",
    "the cut host to report stale",
    run.staleWithinMs,
  );
  const staleAfterMs = since(cutAt);
  const staleSeenAt = Date.now();
  const heldWhenCut = cut.cache.claims.list();
  expect(heldWhenCut.length + cut.cache.refmaps.size + cut.cache.linkdefs.size).toBeGreaterThan(0);
  for (const claim of heldWhenCut) expect(cut.cache.claims.get(claim.sub)).toEqual(claim);
  othersLive();

  await sleep(Math.max(0, run.cutMs - since(cutAt)));
  const during = workload.stats();
  const cutBefore = before.byHost[cut.name]!;
  const cutDuring = during.byHost[cut.name]!;
  // Stale the whole time since it said so, never live in between.
  expect(cut.cache.status().state).toBe("stale");
  expect(cut.cache.status().staleForMs).toBeGreaterThanOrEqual(since(staleSeenAt) - 100);
  expect(cutDuring.failed).toBeGreaterThan(cutBefore.failed);
  othersLive();
  const othersAckedDuringCut = sum(during, "acknowledged") - sum(before, "acknowledged");
  expect(othersAckedDuringCut).toBeGreaterThan(20);
  if (run.othersNeverFail) expect(sum(during, "failed")).toBe(sum(before, "failed"));

  proxy.setMode("pass");
  const healedAt = Date.now();
  const recoveredMs = await everyReplicaLiveAfter([cut], workload, run.put, healedAt, "the heal", 90_000);
  const afterHeal = workload.stats().byHost[cut.name]!.acknowledged;
  await waitForHost(
    hosts,
    () => workload.stats().byHost[cut.name]!.acknowledged > afterHeal + 5,
    "the cut host writing again",
  );
  const writingAgainMs = since(healedAt);

  const converged = await run.converge();
  const stats = workload.stats();
  expect(stats.unexpected).toEqual([]);
  // Fail fast: no write of the cut host took longer than its timeout (plus a busy machine's slack).
  const cutHostMaxFailureMs = stats.byHost[cut.name]!.maxFailureMs;
  expect(cutHostMaxFailureMs).toBeLessThan(run.writeTimeout.ms + run.slackMs);

  reportScenario(
    run.scenario,
    `cut host stale ${seconds(staleAfterMs)} into a ${seconds(healedAt - cutAt)} cut; its writes failed after at most ` +
      `${seconds(cutHostMaxFailureMs)} (${run.writeTimeout.option} ${run.writeTimeout.ms}); caught up ` +
      `${seconds(recoveredMs)} after the heal, writing again after ${seconds(writingAgainMs)}; ` +
      `others acknowledged ${othersAckedDuringCut} writes during the cut; 0 acknowledged lost`,
    {
      staleAfterMs,
      cutMs: healedAt - cutAt,
      recoveredMs,
      writingAgainMs,
      cutHostFailures: cutDuring.failed - cutBefore.failed,
      cutHostMaxFailureMs,
      othersAckedDuringCut,
      acknowledged: stats.acknowledged,
      revision: converged.revision,
      seed: workload.seed,
    },
  );
}
