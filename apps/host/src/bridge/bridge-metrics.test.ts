// The bridge's metrics mirror LegacyBridge.status() at scrape time, and read 0 before the bridge exists.

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { legacyMigration } from "../composition/builtin-backends.js";
import { BRIDGE_COUNTER_METRICS, registerBridgeMetrics } from "./bridge-metrics.js";

const counters = {
  imported: 7,
  skippedByPolicy: 1,
  skippedUnchanged: 2,
  superseded: 3,
  broadcast: 4,
  invalid: 5,
  answeredGets: 6,
  refusedGets: 10,
  failed: 0,
  ignoredBridged: 8,
  unbroadcastable: 9,
};

const running: legacyMigration.LegacyBridgeStatus = {
  state: "running",
  bridgeId: "bridge-1",
  policy: "durable-wins",
  prefix: "default",
  connected: true,
  pendingImports: 2,
  pendingBroadcasts: 1,
  counters,
  startupImport: undefined,
  lastError: undefined,
};

describe("bridge metrics", () => {
  it("one counter per bridge counter, gauges for state and queues, all read at scrape time", async () => {
    const registry = new Registry();
    let status: legacyMigration.LegacyBridgeStatus | undefined;
    registerBridgeMetrics(registry, () => status);

    const before = await registry.metrics();
    for (const { name } of Object.values(BRIDGE_COUNTER_METRICS)) {
      expect(before).toMatch(new RegExp(`^# TYPE ${name} counter$`, "m"));
      expect(before).toMatch(new RegExp(`^${name} 0$`, "m"));
    }
    expect(before).toMatch(/^lattice_bridge_running 0$/m);

    status = running;
    const after = await registry.metrics();
    for (const [key, { name }] of Object.entries(BRIDGE_COUNTER_METRICS)) {
      expect(after).toMatch(new RegExp(`^${name} ${counters[key as keyof typeof counters]}$`, "m"));
    }
    expect(after).toMatch(/^lattice_bridge_info\{bridge_id="bridge-1",policy="durable-wins"\} 1$/m);
    expect(after).toMatch(/^lattice_bridge_running 1$/m);
    expect(after).toMatch(/^lattice_bridge_connected 1$/m);
    expect(after).toMatch(/^lattice_bridge_pending_imports 2$/m);
    expect(after).toMatch(/^lattice_bridge_pending_broadcasts 1$/m);
  });
});
