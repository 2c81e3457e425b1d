// How long the host waits between attempts at anything it retries on its own: opening the backend at
// start-up, the status channel's connection, the bridge's start. Pauses from core's Backoff.
import type { BackoffPolicy } from "@lattice-cache/core/backend";

/** 500 ms doubling to 10 s (the README's "backoff up to 10 s"). */
export const HOST_RETRY_POLICY: BackoffPolicy = { baseMs: 500, maxMs: 10_000 };
