// Fault: one host is cut off from NATS by a blackholing proxy (its socket stays open, no byte passes either
// way — a network partition as the client sees it) while the other hosts keep writing; then the cut heals.
// Rules cited here: docs/semantics.md#rule-10.
import { startFaultProxy, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { envMs } from "./chaos-report.test-helpers.js";
import { cutOneHostAndHeal } from "./one-host-cut.test-helpers.js";
import { kvPut } from "./raw-nats.test-helpers.js";
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
    await cutOneHostAndHeal({
      scenario: "nats-partition",
      proxy,
      hosts,
      workload,
      put: kvPut(kv),
      converge: () => scenario.converge(),
      cutMs: CUT_MS,
      // Asked when a write gets no answer; a host that does not write finds out later (docs/reliability.md).
      staleWithinMs: 20_000,
      writeTimeout: { option: "writeDeadlineMs", ms: WRITE_DEADLINE_MS },
      slackMs: SLACK_MS,
    });
  }, 200_000);
});
