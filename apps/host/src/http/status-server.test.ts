// The HTTP endpoints in-process, on the memory backend (whose store can be disconnected to go stale).
import { LatticeCache, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { disconnectStore, reconnectStore } from "@lattice-cache/core/testing";
import { waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostContainer } from "../composition/host-container.js";
import { METRICS, resolveToken } from "../composition/tokens.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { METRIC_NAMES } from "../observability/host-metrics.js";
import { LATTICE_VERSION } from "../version.js";
import { StatusServer } from "./status-server.js";

const config = loadConfig({
  flags: { backend: "memory", httpPort: "0", prefix: "http", hostId: "host-http" },
  env: {},
  backends: ["memory"],
});
const container = createHostContainer(config, { logger: createHostLogger("silent") });
const server = container.resolve(StatusServer);
const store = new MemoryStore();
let cache: LatticeCache;
let base: string;

beforeAll(async () => {
  base = (await server.start()).url;
});

afterAll(async () => {
  await server.stop();
  await cache?.close();
});

async function get(path: string, init?: RequestInit) {
  const response = await fetch(`${base}${path}`, init);
  return {
    status: response.status,
    body: await response.text(),
    type: response.headers.get("content-type") ?? "",
  };
}

describe("before the backend is open", () => {
  it("/healthz answers 200, /readyz and /status 503 with state connecting and the start-up problem", async () => {
    server.reportProblem("cannot reach the test store: refused");
    expect((await get("/healthz")).status).toBe(200);
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({
      ready: false,
      state: "connecting",
      readiness: "serving",
      reason: "the backend is not open yet: cannot reach the test store: refused",
    });
    const status = await get("/status");
    expect(status.status).toBe(503);
    expect(JSON.parse(status.body)).toMatchObject({
      state: "connecting",
      backend: "memory",
      hostId: "host-http",
      prefix: "http",
      lastError: "cannot reach the test store: refused",
    });
    expect((await get("/entries")).status).toBe(503);
    expect((await get("/metrics")).body).toMatch(/^lattice_cache_state\{state="connecting"\} 1$/m);
  });
});

describe("once the cache is attached", () => {
  beforeAll(async () => {
    cache = await LatticeCache.open({ backend: new MemoryBackend(store), hostId: "host-http" });
    resolveToken(container, METRICS).observe(cache);
    server.attach(cache);
    await cache.ready(5000);
  });

  it("/readyz is 200 and /status carries core status() plus prefix", async () => {
    expect((await get("/readyz")).status).toBe(200);
    const status = JSON.parse((await get("/status")).body) as Record<string, unknown>;
    expect(status).toMatchObject({
      state: "live",
      backend: "memory",
      hostId: "host-http",
      prefix: "http",
      revision: 0,
    });
    for (const field of [
      "digest",
      "counts",
      "backendRevision",
      "lag",
      "counters",
      "capabilities",
      "details",
    ]) {
      expect(status).toHaveProperty(field);
    }
  });

  it("/events streams each change as a server-sent event", async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += decoder.decode(value);
      }
    })().catch(() => {});
    await waitFor(() => received.includes("event: status"), { what: "the initial status event" });
    await cache.claims.put({ sub: "MSSE", name: "sse" });
    await waitFor(() => received.includes("event: change"), { what: "a change event" });
    const frame = received.split("event: change\ndata: ")[1]?.split("\n")[0] ?? "";
    expect(JSON.parse(frame)).toMatchObject({
      collection: "claims",
      key: "CLAIMS_MSSE",
      operation: "put",
      value: { sub: "MSSE", name: "sse" },
    });
    controller.abort();
    await reading;
  });

  it("/entries lists every collection with keys and revisions, /metrics names every metric", async () => {
    const entries = JSON.parse((await get("/entries")).body) as {
      collections: Record<string, { key: string }[]>;
    };
    expect(entries.collections.claims?.map((e) => e.key)).toEqual(["CLAIMS_MSSE"]);
    expect(entries.collections.linkdefs).toEqual([]);
    const metrics = await get("/metrics");
    expect(metrics.type).toContain("text/plain");
    for (const name of Object.values(METRIC_NAMES)) expect(metrics.body).toContain(`# TYPE ${name} `);
    expect(metrics.body).toMatch(/^lattice_cache_entries\{collection="claims"\} 1$/m);
    expect(metrics.body).toMatch(
      new RegExp(
        `^lattice_cache_info\\{host_id="host-http",backend="memory",prefix="http",version="${LATTICE_VERSION}"\\} 1$`,
        "m",
      ),
    );
  });

  it("answers 404 for unknown paths and 405 for writes", async () => {
    expect((await get("/nope")).status).toBe(404);
    expect((await get("/status", { method: "POST" })).status).toBe(405);
    const head = await get("/healthz", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });

  it("/readyz stays 200 while the replica is stale (it still serves), /status and /metrics say stale", async () => {
    disconnectStore(store);
    await waitFor(async () => JSON.parse((await get("/status")).body).state === "stale", {
      what: "/status stale while disconnected",
    });
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({
      ready: true,
      state: "stale",
      readiness: "serving",
      staleSince: expect.any(String),
    });
    expect((await get("/metrics")).body).toMatch(/^lattice_cache_state\{state="stale"\} 1$/m);
    reconnectStore(store);
    await waitFor(async () => JSON.parse((await get("/readyz")).body).state === "live", {
      what: "/readyz live after reconnection",
    });
  });

  it("/readyz turns 503 once the host is shutting down", async () => {
    server.shuttingDown();
    expect(JSON.parse((await get("/readyz")).body)).toMatchObject({
      ready: false,
      reason: "the host is shutting down",
    });
    expect((await get("/readyz")).status).toBe(503);
  });
});
