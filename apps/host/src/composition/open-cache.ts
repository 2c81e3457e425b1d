// Opening a cache with a deadline: a dead server fails fast instead of hanging a command.
import { BackendUnavailableError, LatticeCache } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { CoreConfig } from "../config/core-settings.js";
import type { HostLogger } from "../observability/host-logger.js";

const DEADLINE_SLACK_MS = 1000;

/**
 * Opens a `LatticeCache` on `backend` (connect + provision), bounded by `config.connectTimeoutMs` so a
 * dead server fails fast instead of hanging. On timeout the backend is closed in the background and a
 * `BackendUnavailableError` is thrown.
 */
export async function openCacheWithDeadline(
  backend: LatticeBackend,
  config: CoreConfig,
  logger: HostLogger,
): Promise<LatticeCache> {
  let timer: NodeJS.Timeout | undefined;
  const opening = LatticeCache.open({
    backend,
    hostId: config.hostId,
    logger,
    maxValueBytes: config.maxValueBytes,
    tombstoneRetentionMs: config.tombstoneRetention,
  });
  // A little slack past the backend's own open timeout (it gets connectTimeoutMs too), so its more specific
  // error wins when it has one; this deadline only catches a backend that would hang.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BackendUnavailableError(backend.name, `no connection within ${config.connectTimeoutMs} ms`),
        ),
      config.connectTimeoutMs + DEADLINE_SLACK_MS,
    );
  });
  try {
    return await Promise.race([opening, deadline]);
  } catch (error) {
    // A late success must not leak a connection; a late failure is already reported.
    opening
      .then(
        (cache) => cache.close(),
        () => backend.close(),
      )
      .catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes `cache` but waits at most `ms`: shutting down must not hang on a backend whose close stalls
 * (the connection is dropped with the process anyway). Resolves `false` when the deadline won.
 */
export async function closeCacheWithin(cache: LatticeCache, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    cache.close().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return closed;
}
