// Issue 28: a NATS blip must not take every host out of service. Real `lattice host` processes on a
// jetstream lattice; the test harness's nats-server is stopped, and later started again on the same port and
// store. Hosts that keep serving their replica stay ready (`http.readiness: serving`, the default) while
// `/status` and `/metrics` say the replica is stale; a host with `http.readiness: strict` leaves the service.
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  LatticeProcess,
} from "../test-support/lattice-process.test-helpers.js";

/** How long every host's `/readyz` is watched once all of them report `stale` (it used to turn 503 at ~4 s). */
const WATCH_MS = 8000;

interface RunningHost {
  readonly id: string;
  readonly url: string;
}

let nats: NatsServerHandle;
const serving: RunningHost[] = [];
let strict: RunningHost;

async function json(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await httpGet(url);
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
}

async function stateOf(host: RunningHost): Promise<unknown> {
  return (await json(`${host.url}/status`)).body["state"];
}

beforeAll(async () => {
  nats = await startNatsServer();
  const env = cleanEnv();
  const common = ["--nats-url", nats.url, "--prefix", "blip", "--http-port", "0"];
  const started = ["host-a", "host-b", "host-c", "host-strict"].map((id) => ({
    id,
    process: LatticeProcess.start(
      ["host", ...common, "--host-id", id, ...(id === "host-strict" ? ["--http-readiness", "strict"] : [])],
      { env },
    ),
  }));
  for (const { id, process } of started) {
    const url = (await process.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
    await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 200, {
      timeoutMs: 30_000,
      what: `${id} to complete its initial sync`,
    });
    if (id === "host-strict") strict = { id, url };
    else serving.push({ id, url });
  }
}, 90_000);

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
});

describe("a backend outage (nats-server stopped, then started again on the same port and store)", () => {
  it("leaves every serving host ready, says stale on /status and /metrics, and strict hosts unready", async () => {
    for (const host of serving) {
      expect(await json(`${host.url}/readyz`)).toEqual({
        status: 200,
        body: { ready: true, state: "live", readiness: "serving", reason: "serving the live replica" },
      });
    }

    await nats.stop();
    const all = [...serving, strict];
    await waitFor(async () => (await Promise.all(all.map(stateOf))).every((state) => state === "stale"), {
      timeoutMs: 60_000,
      what: "every host to report its replica stale",
    });

    const until = Date.now() + WATCH_MS;
    do {
      for (const host of serving) {
        const ready = await json(`${host.url}/readyz`);
        expect(ready.status, `${host.id} /readyz during the outage`).toBe(200);
        expect(ready.body).toMatchObject({ ready: true, state: "stale", readiness: "serving" });
        expect(String(ready.body["reason"])).toMatch(/^serving its last consistent view: the backend/);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    } while (Date.now() < until);

    for (const host of serving) {
      const status = (await json(`${host.url}/status`)).body;
      expect(status).toMatchObject({ state: "stale", staleSince: expect.any(String) });
      expect(status["staleForMs"]).toBeGreaterThan(WATCH_MS);
      const metrics = (await httpGet(`${host.url}/metrics`)).body;
      expect(metrics).toMatch(/^lattice_cache_state\{state="stale"\} 1$/m);
      const staleSeconds = Number(/^lattice_cache_stale_seconds (\S+)$/m.exec(metrics)?.[1]);
      expect(staleSeconds).toBeGreaterThan(WATCH_MS / 1000);
    }
    const strictReady = await json(`${strict.url}/readyz`);
    expect(strictReady.status).toBe(503);
    expect(strictReady.body).toMatchObject({ ready: false, state: "stale", readiness: "strict" });
    expect(String(strictReady.body["reason"])).toMatch(/^the replica is stale: the backend/);

    await nats.start();
    for (const host of all) {
      await waitFor(async () => (await stateOf(host)) === "live", {
        timeoutMs: 90_000,
        what: `${host.id} to return to live`,
      });
    }
    for (const host of all) {
      expect(await json(`${host.url}/readyz`)).toMatchObject({ status: 200, body: { ready: true } });
    }
  }, 240_000);
});
