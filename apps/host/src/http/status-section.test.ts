// Sections: what runs beside the replica (the bridge) adds a /status field and a /readyz condition.
import { LatticeCache, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostContainer } from "../composition/host-container.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { StatusServer } from "./status-server.js";

const config = loadConfig({
  flags: { backend: "memory", httpPort: "0", prefix: "sections", hostId: "host-sections" },
  env: {},
  backends: ["memory"],
});
const server = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(StatusServer);
let cache: LatticeCache;
let base: string;
let extraReady = false;

beforeAll(async () => {
  server.addSection({ name: "extra", status: () => ({ running: extraReady }), ready: () => extraReady });
  base = (await server.start()).url;
  cache = await LatticeCache.open({ backend: new MemoryBackend(new MemoryStore()), hostId: "host-sections" });
  server.attach(cache);
  await cache.ready(5000);
});

afterAll(async () => {
  await server.stop();
  await cache?.close();
});

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("a status section", () => {
  it("fills its /status field on every request, and holds /readyz at 503 (naming it) until it is ready", async () => {
    expect((await getJson("/status")).body).toMatchObject({ state: "live", extra: { running: false } });
    expect(await getJson("/readyz")).toEqual({
      status: 503,
      body: {
        ready: false,
        state: "live",
        readiness: "serving",
        reason: "waiting for extra",
        waitingFor: ["extra"],
      },
    });
    extraReady = true;
    expect((await getJson("/status")).body).toMatchObject({ extra: { running: true } });
    expect(await getJson("/readyz")).toEqual({
      status: 200,
      body: { ready: true, state: "live", readiness: "serving", reason: "serving the live replica" },
    });
  });
});
