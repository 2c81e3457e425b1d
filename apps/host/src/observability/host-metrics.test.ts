// /metrics of a real host on a real nats-server: the propagation delay another host's writes show, and the
// backend connection going away with the server.
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { createHostContainer } from "../composition/host-container.js";
import { loadConfig } from "../config/load-config.js";
import { HostRuntime } from "../runtime/host-runtime.js";
import { createHostLogger } from "./host-logger.js";
import { METRIC_NAMES } from "./host-metrics.js";

const runtimes: HostRuntime[] = [];
afterAll(async () => {
  // The hosts go before their server.
  await Promise.all(runtimes.map((r) => r.stop()));
  await disposeAll();
});

async function startHost(nats: NatsServerHandle, hostId: string) {
  const config = loadConfig({
    flags: { natsUrl: nats.url, prefix: "metrics", hostId, httpPort: "0" },
    env: {},
    backends: ["jetstream"],
  });
  const runtime = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(HostRuntime);
  runtimes.push(runtime);
  const address = await runtime.start();
  return { url: address.url, cache: await runtime.ready(20_000) };
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of the sample `series` (name with its labels, as exposed) in `text`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics on a jetstream lattice (real nats-server)", () => {
  it("shows the propagation quantiles of another host's writes, and the backend connection until the server stops", async () => {
    const nats = await startNatsServer();
    const a = await startHost(nats, "metrics-a");
    const b = await startHost(nats, "metrics-b");

    const before = await scrape(a.url);
    expect(sample(before, METRIC_NAMES.backendConnected)).toBe(1);
    expect(sample(before, METRIC_NAMES.propagationSamples)).toBe(0);
    expect(before).not.toContain(`${METRIC_NAMES.propagationDelay}{`);

    let revision = 0;
    for (const n of [1, 2, 3]) {
      ({ revision } = await b.cache.refmaps.put({
        oci_url: `ghcr.io/acme/metrics:${n}`,
        public_key: "MMET",
      }));
    }
    await a.cache.waitForRevision(revision);
    const text = await scrape(a.url);
    expect(sample(text, METRIC_NAMES.propagationSamples)).toBeGreaterThanOrEqual(3);
    const p50 = sample(text, `${METRIC_NAMES.propagationDelay}{quantile="0.5"}`);
    const p99 = sample(text, `${METRIC_NAMES.propagationDelay}{quantile="0.99"}`);
    // Seconds, as /status's milliseconds: local changes arrive well within a minute.
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(p99).toBeGreaterThanOrEqual(p50 as number);
    expect(p99).toBeLessThan(60);
    const { p50Ms, p99Ms } = a.cache.status().propagation;
    expect(p50).toBeCloseTo((p50Ms as number) / 1000, 6);
    expect(p99).toBeCloseTo((p99Ms as number) / 1000, 6);

    await nats.stop();
    await waitFor(async () => sample(await scrape(a.url), METRIC_NAMES.backendConnected) === 0 || undefined, {
      timeoutMs: 30_000,
      what: `${METRIC_NAMES.backendConnected} 0 once nats-server stopped`,
    });
    expect(a.cache.status().backendConnected).toBe(false);
  });
});
