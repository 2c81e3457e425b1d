// Fault: redis-server dies with SIGKILL mid-traffic and restarts. Without persistence the server comes back
// empty: acknowledged writes ARE lost, and the replicas must follow the server (resync to its new state)
// rather than keep serving the old one. With AOF (appendfsync always) nothing acknowledged is lost.
// Rules cited here: docs/semantics.md#rule-9.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { RedisBackend } from "@lattice-cache/redis";
import { disposeAll, type RedisServerHandle, startRedisServer, waitFor } from "@lattice-cache/test-harness";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type ChaosHost, closeHosts, openHost, waitForHosts } from "./chaos-host.test-helpers.js";
import { envMs, reportScenario, seconds, since } from "./chaos-report.test-helpers.js";
import { expectConverged } from "./convergence.test-helpers.js";
import { readRedisState } from "./stored-state.test-helpers.js";
import { Workload } from "./workload.test-helpers.js";

const DOWN_MS = envMs("LATTICE_CHAOS_DOWN_MS", 3_000);

const hosts: ChaosHost[] = [];
const admins: Redis[] = [];

afterEach(async () => {
  await closeHosts(hosts.splice(0));
  for (const admin of admins.splice(0)) admin.disconnect();
});

afterAll(async () => {
  await disposeAll();
});

/** Three hosts on one server, a raw admin connection, and a running workload. */
async function startScenario(server: RedisServerHandle, label: string, durable: boolean) {
  const prefix = `${label}-${randomBytes(4).toString("hex")}`;
  for (const name of ["h1", "h2", "h3"]) {
    hosts.push(
      await openHost(name, (logger) => new RedisBackend({ url: server.url, prefix, durable, logger })),
    );
  }
  const admin = new Redis(server.url, { maxRetriesPerRequest: 3 });
  admin.on("error", () => {});
  admins.push(admin);
  const workload = new Workload(hosts);
  workload.start();
  await workload.waitForAcks(60);
  return { prefix, admin, workload };
}

/** SIGKILL, a few seconds down (replicas go stale, reads answer), restart. */
async function killAndRestart(server: RedisServerHandle) {
  const killedAt = Date.now();
  await server.kill("SIGKILL");
  await waitFor(() => hosts.every((host) => host.cache.status().state === "stale"), {
    timeoutMs: 20_000,
    what: "every replica to report stale",
  });
  const staleAfterMs = since(killedAt);
  for (const host of hosts) expect(() => host.cache.claims.list()).not.toThrow();
  await sleep(Math.max(0, DOWN_MS - since(killedAt)));
  await server.restart();
  return { killedAt, staleAfterMs, restartedAt: Date.now() };
}

describe("fault: redis-server SIGKILL and restart without persistence", () => {
  it("rule 9: acknowledged writes are lost there; every replica resyncs to the server's new state and is live", async () => {
    const server = await startRedisServer();
    const { prefix, admin, workload } = await startScenario(server, "volatile", false);
    const resyncsBefore = hosts.map((host) => host.cache.status().counters.resyncs);
    const { killedAt, staleAfterMs, restartedAt } = await killAndRestart(server);
    const ackedBeforeKill = workload.latestAcknowledged().size;

    await waitForHosts(
      hosts,
      (host, i) =>
        host.cache.status().counters.resyncs > resyncsBefore[i]! && host.cache.status().state === "live",
      "every replica resynced to the new history and live",
    );
    const resyncedMs = since(restartedAt);
    await workload.waitForAcks(30);
    await workload.stop();

    // The server forgot everything before the restart; replicas must agree with it, not with their past.
    const converged = await expectConverged({
      hosts,
      workload,
      acknowledgedSince: restartedAt,
      readState: () => readRedisState(admin, prefix),
    });
    const stats = workload.stats();
    expect(stats.unexpected).toEqual([]);
    expect(converged.state.size).toBeGreaterThan(0);
    const survivors = [...workload.latestAcknowledged().values()].filter(
      (write) => write.ackedAt < killedAt && converged.state.get(write.key)?.text === write.text,
    ).length;

    reportScenario(
      "redis-restart-volatile",
      `replicas stale ${seconds(staleAfterMs)} after SIGKILL; resynced to the new state and live ` +
        `${seconds(resyncedMs)} after restart ` +
        `(down ${seconds(restartedAt - killedAt)}); the acknowledged state of ${ackedBeforeKill} keys before the kill ` +
        `is gone from the server (${survivors} keys rewritten with equal values since) and from every replica`,
      {
        staleAfterMs,
        downMs: restartedAt - killedAt,
        resyncedMs,
        keysLost: ackedBeforeKill,
        resyncs: hosts.reduce((n, h) => n + h.cache.status().counters.resyncs, 0),
        acknowledged: stats.acknowledged,
        revision: converged.revision,
        seed: workload.seed,
      },
    );
  }, 120_000);
});

describe("fault: redis-server SIGKILL and restart with AOF (appendfsync always)", () => {
  it("durability: nothing acknowledged is lost; replicas catch up by themselves", async () => {
    const server = await startRedisServer({ appendonly: true, extraConfig: "appendfsync always" });
    const { prefix, admin, workload } = await startScenario(server, "aof", true);
    const { killedAt, staleAfterMs, restartedAt } = await killAndRestart(server);

    await waitFor(() => hosts.every((host) => host.cache.status().state === "live"), {
      timeoutMs: 60_000,
      what: "every replica live again",
    });
    const liveMs = since(restartedAt);
    await workload.waitForAcks(30);
    await workload.stop();

    const converged = await expectConverged({
      hosts,
      workload,
      readState: () => readRedisState(admin, prefix),
    });
    const stats = workload.stats();
    expect(stats.unexpected).toEqual([]);
    const resyncs = hosts.reduce((n, h) => n + h.cache.status().counters.resyncs, 0);
    expect(resyncs).toBe(0);

    reportScenario(
      "redis-restart-aof",
      `replicas stale ${seconds(staleAfterMs)} after SIGKILL; live again ${seconds(liveMs)} after restart ` +
        `(down ${seconds(restartedAt - killedAt)}), no resync; ${stats.acknowledged} acknowledged, 0 lost`,
      {
        staleAfterMs,
        downMs: restartedAt - killedAt,
        liveMs,
        resyncs,
        acknowledged: stats.acknowledged,
        failed: stats.failed["BACKEND_UNAVAILABLE"] ?? 0,
        revision: converged.revision,
        seed: workload.seed,
      },
    );
  }, 120_000);
});
