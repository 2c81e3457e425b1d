// What a nats-server spends over a time window: its process CPU (from /proc, Linux; the server's /varz `cpu`
// is a one-second figure in 10 ms ticks, too coarse) and the JetStream API requests it answered (/jsz).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { NatsServerHandle } from "@lattice-cache/test-harness";
import { sleep } from "./measure.js";

/** A nats-server's usage over one window. */
export interface ServerUsage {
  /** The window's length. */
  readonly seconds: number;
  /** CPU time (user + system) the server process used, in % of one core. */
  readonly cpuPercent: number;
  /** JetStream API requests the server received (`/jsz` `api.total` difference). */
  readonly apiRequests: number;
  /** Where the CPU time came from: `schedstat` (per-thread ns) or `utime+stime` (ticks). */
  readonly cpuSource: string;
}

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every usual Linux). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Sum of a process's threads' on-CPU time in seconds (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds). */
function schedstatSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread exited in between
    }
  }
  return ns / 1e9;
}

/** utime + stime of a process in seconds (`/proc/<pid>/stat`, clock ticks). */
function statSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces; fields after it start with the state (field 3).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/**
 * How to read a process's CPU seconds so far: preferably the sum of its threads' schedstat nanoseconds
 * (nats-server's Go runtime keeps its threads), since utime + stime count clock ticks of 10 ms — 0.03 % of
 * one core over a 30 s window, too coarse for an idle server; utime + stime where schedstat is missing.
 */
function cpuReader(pid: number): { read: () => number; source: string } {
  try {
    readFileSync(`/proc/${pid}/schedstat`, "utf8");
    return { read: () => schedstatSeconds(pid), source: "schedstat" };
  } catch {
    return { read: () => statSeconds(pid), source: "utime+stime" };
  }
}

/** The JetStream API request count so far (`/jsz` → `api.total`). */
async function apiTotal(server: NatsServerHandle): Promise<number> {
  const api = (await server.jsz())["api"] as { total?: unknown } | undefined;
  if (typeof api?.total !== "number") throw new Error("nats-server /jsz reports no api.total");
  return api.total;
}

/** Measures `server` over the next `windowMs` milliseconds, while the caller's clients do whatever they do. */
export async function measureServerUsage(server: NatsServerHandle, windowMs: number): Promise<ServerUsage> {
  const pid = server.pid;
  if (pid === undefined) throw new Error(`nats-server ${server.serverName} is not running`);
  const cpu = cpuReader(pid);
  const api0 = await apiTotal(server);
  const cpu0 = cpu.read();
  const t0 = performance.now();
  await sleep(windowMs);
  const cpu1 = cpu.read();
  const seconds = (performance.now() - t0) / 1000;
  const api1 = await apiTotal(server);
  return {
    seconds,
    cpuPercent: ((cpu1 - cpu0) / seconds) * 100,
    apiRequests: api1 - api0,
    cpuSource: cpu.source,
  };
}
