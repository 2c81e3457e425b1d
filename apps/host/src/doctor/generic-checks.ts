// Checks every backend gets from `lattice doctor`: open it, complete an initial sync, compare revisions.
import { errorText, LatticeCacheError } from "@lattice-cache/core";
import type { DoctorCheck } from "@lattice-cache/plugin";
import type { DependencyContainer } from "tsyringe";
import { openLatticeCache } from "../composition/host-container.js";
import { closeCacheWithin } from "../composition/open-cache.js";
import { CONFIG, resolveToken } from "../composition/tokens.js";
import { MISSING_LATTICE_FIX } from "./lattice-check.js";

/** Opens the container's backend as a cache, syncs it, and reports what it found; closes it again. */
export async function genericChecks(container: DependencyContainer, target: string): Promise<DoctorCheck[]> {
  const config = resolveToken(container, CONFIG);
  const checks: DoctorCheck[] = [];
  const started = Date.now();
  let cache: Awaited<ReturnType<typeof openLatticeCache>>;
  try {
    cache = await openLatticeCache(container);
  } catch (error) {
    checks.push({
      name: "open backend",
      outcome: "fail",
      detail: `cannot open ${target}: ${errorText(error)}`,
      fix: LatticeCacheError.hasCode(error, "LATTICE_NOT_FOUND")
        ? MISSING_LATTICE_FIX
        : LatticeCacheError.hasCode(error, "PERMISSION_DENIED")
          ? "grant this user the permissions listed in the backend's README (read + write on the lattice's bucket/keys)"
          : `make sure ${target} is running and reachable from here, or point the host at the right server ` +
            "(--nats-url / --redis-url / --postgres-url); `pnpm lattice up` starts a local NATS",
    });
    return checks;
  }
  try {
    checks.push({
      name: "open backend",
      outcome: "pass",
      detail: `opened ${target} in ${Date.now() - started} ms`,
    });
    try {
      await cache.ready(config.readyTimeoutMs);
      const s = cache.status();
      checks.push({
        name: "initial sync",
        outcome: "pass",
        detail:
          `${s.counts.linkdefs} linkdefs, ${s.counts.claims} claims, ${s.counts.refmaps} refmaps at revision ${s.revision}` +
          ` in ${Date.now() - started} ms`,
      });
    } catch (error) {
      checks.push({
        name: "initial sync",
        outcome: "fail",
        detail: `did not complete within ${config.readyTimeoutMs} ms: ${errorText(error)}`,
        fix: "check the server's health and this host's read permissions; raise --ready-timeout for very large lattices",
      });
      return checks;
    }
    await cache.checkBackend();
    const s = cache.status();
    checks.push(
      s.state === "live"
        ? {
            name: "replica state",
            outcome: "pass",
            detail: `live, backend revision ${s.backendRevision ?? "unknown"}, lag ${s.lag}`,
          }
        : {
            name: "replica state",
            outcome: "warn",
            detail: `${s.state}${s.lastError ? ` (${s.lastError})` : ""}`,
            fix: "run `lattice status` again in a few seconds; a lasting stale state means the backend is unreachable",
          },
    );
    if (!cache.backend.capabilities.durable) {
      checks.push({
        name: "durability",
        outcome: "warn",
        detail: `the ${cache.backend.name} backend does not promise that acknowledged writes survive a restart`,
        fix: "use file storage with replicas ≥ 3 (jetstream) or AOF persistence (redis) for production",
      });
    }
  } finally {
    await closeCacheWithin(cache, 3000);
  }
  return checks;
}
