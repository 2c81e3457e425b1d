// Fault: one host is cut off from PostgreSQL by a blackholing proxy (its sockets stay open, no byte passes
// either way — a network partition as the client sees it; new connections are accepted and swallowed too)
// while the other hosts keep writing straight to the server; then the cut heals. The cut host runs the
// backend's defaults: nothing in the test shortens its timeouts.
// Rules cited here: docs/semantics.md#rule-10.
import { POSTGRES_BACKEND_DEFAULTS } from "@lattice-cache/postgres";
import { startFaultProxy, startPostgresServer } from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { envMs } from "./chaos-report.test-helpers.js";
import { cutOneHostAndHeal } from "./one-host-cut.test-helpers.js";
import { PostgresScenario } from "./postgres-scenario.test-helpers.js";

const { feedWaitMs, queryTimeoutMs } = POSTGRES_BACKEND_DEFAULTS;
/**
 * The longest a cut host may take to report `stale`: its feed either waits for a notification (up to
 * `feedWaitMs`) and then reads, or is reading, and a read gets no answer for `queryTimeoutMs`; a host that
 * writes finds out as soon (its first unanswered write fails after `queryTimeoutMs` and makes it ask the head).
 */
const STALE_BOUND_MS = feedWaitMs + queryTimeoutMs;
const CUT_MS = Math.min(envMs("LATTICE_CHAOS_CUT_MS", 20_000), 30_000);
/** A busy 2-core machine may delay a timer by a few seconds; the bounds are about hangs, not precision. */
const SLACK_MS = 4_000;

const scenario = new PostgresScenario();

afterAll(() => scenario.close());

describe("fault: one host partitioned from PostgreSQL (blackhole proxy), the others keep writing", () => {
  it("rule 10: the cut host answers reads as stale and fails writes fast; after the heal it catches up by itself", async () => {
    const server = await startPostgresServer();
    const proxy = await startFaultProxy({ target: { port: server.port } });
    const throughProxy = new URL(server.url);
    throughProxy.port = String(proxy.port);
    // h1 and h2 on the server; h3, the one to cut, behind the proxy.
    const { hosts, workload } = await scenario.start({
      prefixStem: "pgcut",
      server,
      hostOptions: (name) => (name === "h3" ? { url: throughProxy.toString() } : {}),
    });
    await cutOneHostAndHeal({
      scenario: "postgres-partition",
      proxy,
      hosts,
      workload,
      put: scenario.put,
      converge: () => scenario.converge(),
      cutMs: CUT_MS,
      staleWithinMs: STALE_BOUND_MS + SLACK_MS,
      writeTimeout: { option: "queryTimeoutMs", ms: queryTimeoutMs },
      slackMs: SLACK_MS,
      // A write is one statement: a cut host holds no lock between round trips that the others would wait for.
      othersNeverFail: true,
    });
  }, 150_000);
});
