// One lattice host of a scenario: its own backend (own connections), cache and recording logger.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LatticeCache, type LatticeCacheOptions } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import { JetStreamBackend, type JetStreamBackendOptions } from "@lattice-cache/jetstream";
import { waitFor } from "@lattice-cache/test-harness";
import { RecordingLogger } from "./recording-logger.test-helpers.js";
import type { WorkloadHost } from "./workload.test-helpers.js";

/** A host in a fault scenario. */
export interface ChaosHost extends WorkloadHost {
  readonly backend: LatticeBackend;
  readonly logger: RecordingLogger;
}

/**
 * Opens a cache on the backend `makeBackend` builds (handing it the host's logger) and waits for its
 * initial sync. The cache and backend log into the same recorder.
 */
export async function openHost(
  name: string,
  makeBackend: (logger: RecordingLogger) => LatticeBackend,
  options: Omit<LatticeCacheOptions, "backend" | "logger" | "hostId"> = {},
): Promise<ChaosHost> {
  const logger = new RecordingLogger(name);
  const backend = makeBackend(logger);
  const cache = await LatticeCache.open({ ...options, backend, logger, hostId: name });
  await cache.ready(30_000);
  return { name, cache, backend, logger };
}

/** `openHost` on a jetstream backend with these options; the host's name is its host id. */
export function openJetStreamHost(
  name: string,
  options: Omit<JetStreamBackendOptions, "hostId" | "logger">,
): Promise<ChaosHost> {
  return openHost(name, (logger) => new JetStreamBackend({ ...options, hostId: name, logger }));
}

/** Closes hosts, ignoring errors (servers may be gone by then). */
export async function closeHosts(hosts: readonly ChaosHost[]): Promise<void> {
  await Promise.all(hosts.map((host) => host.cache.close().catch(() => {})));
}

/** The warnings and errors of every host, for a failure message. */
export function hostStories(hosts: readonly ChaosHost[]): string {
  return hosts.map((host) => host.logger.tail()).join("\n");
}

/**
 * Waits until `check` holds for every host; on timeout the error carries each host's status line and
 * recent warnings, so a failure explains itself.
 */
export async function waitForHosts(
  hosts: readonly ChaosHost[],
  check: (host: ChaosHost, index: number) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitForHost(hosts, () => hosts.every(check), what, timeoutMs);
}

/**
 * Waits until `check` holds; on timeout every host's full log is saved and the error carries each host's
 * status line and recent warnings, so a failure explains itself.
 */
export async function waitForHost(
  hosts: readonly ChaosHost[],
  check: () => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  try {
    await waitFor(check, { timeoutMs, intervalMs: 50, what });
  } catch (error) {
    saveHostLogs(hosts);
    throw new Error(`${(error as Error).message}\n${hostStates(hosts)}\n${hostStories(hosts)}`);
  }
}

/** Writes every host's full log (debug included) to .test-results/host-logs/, for a failure post-mortem. */
export function saveHostLogs(hosts: readonly ChaosHost[]): void {
  const dir = fileURLToPath(new URL("../.test-results/host-logs/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  for (const host of hosts) writeFileSync(`${dir}${host.name}.log`, host.logger.text());
  console.log(`[chaos] host logs saved in ${dir}`);
}

/** One line per host: state, revisions, counters, last error. */
export function hostStates(hosts: readonly ChaosHost[]): string {
  return hosts
    .map((host) => {
      const s = host.cache.status();
      return (
        `  ${host.name}: ${s.state} revision ${s.revision} backend ${s.backendRevision} ` +
        `resyncs ${s.counters.resyncs} feedRestarts ${s.counters.feedRestarts} lastError ${s.lastError}`
      );
    })
    .join("\n");
}
