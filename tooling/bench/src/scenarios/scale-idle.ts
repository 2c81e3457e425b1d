// scale.idle and scale.idle.api: what N idle hosts cost one nats-server — its CPU and the JetStream API
// requests it answers — versus N idle raw kv.watch() watchers, each side with its own connection per client.
import { DEFAULT_REPLICA_TIMING, type LatticeCache } from "@lattice-cache/core";
import type { NatsServerHandle } from "@lattice-cache/test-harness";
import type { BenchContext } from "../bench-context.js";
import { openMany, openReadyCache, rawBucket, rawConnect } from "../clients.js";
import { sleep } from "../measure.js";
import { type BenchResult, judge } from "../result.js";
import { measureServerUsage, type ServerUsage } from "../server-usage.js";

/** How long the server is left alone before a window starts (after opening clients, after closing them). */
const SETTLE_MS = 3000;
/** Clients opened at a time. */
const OPEN_CONCURRENCY = 10;

/** Opens `n` clients, lets the server settle, measures it over `windowMs`, closes the clients. */
async function measureIdle<T>(
  server: NatsServerHandle,
  n: number,
  windowMs: number,
  open: (i: number) => Promise<T>,
  close: (client: T) => Promise<unknown>,
): Promise<ServerUsage> {
  const clients = await openMany(n, OPEN_CONCURRENCY, open);
  try {
    await sleep(SETTLE_MS);
    return await measureServerUsage(server, windowMs);
  } finally {
    await Promise.all(clients.map((c) => close(c).catch(() => {})));
    await sleep(SETTLE_MS);
  }
}

/** Runs the idle-hosts scenario on `server` (a server of its own, so no other scenario's clients count). */
export async function scaleIdleScenario(ctx: BenchContext, server: NatsServerHandle): Promise<BenchResult[]> {
  const { idleHosts: n, idleWindowMs: windowMs } = ctx.sizes;
  const windowS = Math.round(windowMs / 1000);

  ctx.progress(`scale.idle: ${n} idle hosts (own connection each), server measured for ${windowS} s`);
  const prefix = ctx.newPrefix("idle");
  const ours = await measureIdle<LatticeCache>(
    server,
    n,
    windowMs,
    (i) => openReadyCache({ servers: server.url, prefix, hostId: `idle-${i}` }),
    (cache) => cache.close(),
  );

  ctx.progress(`scale.idle: ${n} idle raw kv.watch() watchers (own connection each), ${windowS} s`);
  const rawPrefix = ctx.newPrefix("idle");
  const setup = await rawConnect(server.url);
  await rawBucket(setup, rawPrefix);
  await setup.close();
  const raw = await measureIdle(
    server,
    n,
    windowMs,
    async () => {
      const nc = await rawConnect(server.url);
      const watch = await (await rawBucket(nc, rawPrefix)).watch();
      void (async () => {
        for await (const _entry of watch) {
          // idle: nothing is written
        }
      })();
      return { nc, watch };
    },
    async ({ nc, watch }) => {
      watch.stop();
      await nc.close();
    },
  );

  const perHost = (u: ServerUsage) => u.apiRequests / u.seconds / n;
  // A window shorter than the replica's idle head check misses those requests (and their CPU): say so.
  const fallbackMs = DEFAULT_REPLICA_TIMING.idleCheckIntervalMs;
  const partial =
    windowMs < fallbackMs * 1.2
      ? `; the window is shorter than the ${fallbackMs / 1000} s idle head check: not counted`
      : "";
  const notes =
    `${n} hosts, ${windowS} s window; JetStream API req/s per host: ours ${perHost(ours).toFixed(3)}, ` +
    `raw ${perHost(raw).toFixed(3)}; server cpu from /proc (${ours.cpuSource})${partial}`;
  return [
    judge({
      name: "scale.idle",
      ours: ours.cpuPercent,
      baseline: { value: raw.cpuPercent, does: `${n} idle raw kv.watch() watchers, a connection each` },
      unit: "% cpu",
      goal: { kind: "ratio-at-most", value: 2 },
      notes,
    }),
    judge({
      name: "scale.idle.api",
      ours: perHost(ours),
      baseline: { value: perHost(raw), does: `${n} idle raw kv.watch() watchers, a connection each` },
      unit: "req/s/host",
      goal: { kind: "ours-below", value: 0.05 },
      notes: `${n} hosts, ${windowS} s window; /jsz api.total difference${partial}`,
    }),
  ];
}
