// The seam of the cross-host audit: a lattice-wide channel on which every host answers status requests.
// Each backend registration may provide one (NATS subject, Redis pub/sub, PostgreSQL NOTIFY, in-process); see
// backend-registry.ts.
import type { HostStatusReport } from "./host-status-report.js";
import type { GatheredStatus } from "./status-intake.js";

/** Default time a requester gathers answers, in ms (`lattice status --hosts --window`). */
export const DEFAULT_STATUS_WINDOW_MS = 1500;

/**
 * A lattice-wide status channel. Hosts {@link StatusBus.serve | serve} (every host answers: no queue
 * group, no load balancing); `lattice status --hosts` {@link StatusBus.gather | gathers}.
 */
export interface StatusBus {
  /** Where requests travel, for logs and messages: e.g. `NATS subject lattice-cache.default.status`. */
  readonly channel: string;
  /**
   * Host side: answers every request with `report()` (through a `StatusResponder`: bounded requests, allowed
   * reply addresses only, signed answers) until {@link close}. Resolves once listening is set up or being
   * retried in the background; transient problems (server down) are retried, never thrown.
   */
  serve(report: () => HostStatusReport): Promise<void>;
  /**
   * Requester side: sends one request and resolves with the answers that arrive within `windowMs`, read by a
   * `StatusIntake` (bounded, decoded, checked against the status secret) with what it refused. Throws a typed
   * error when the channel cannot be reached at all.
   */
  gather(windowMs: number): Promise<GatheredStatus>;
  /** Stops serving and closes connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a host's serving loop in the background and says when its first connection attempt is over: the
 * loop calls `attempted()` once it serves, or after its first failure (it goes on retrying by itself).
 * `serve()` awaits `attempted`; `close()` awaits `background`.
 */
export function serveInBackground(loop: (attempted: () => void) => Promise<void>): {
  readonly background: Promise<void>;
  readonly attempted: Promise<void>;
} {
  let attempt!: () => void;
  const attempted = new Promise<void>((resolve) => {
    attempt = resolve;
  });
  return { background: loop(attempt).finally(attempt), attempted };
}
