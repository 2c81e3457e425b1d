// What `/readyz` answers: whether this host can serve its replica, and why (issue 28). Ready means "can
// serve": once the initial sync completed and while the host serves — also while the replica is stale or
// resyncing, because it still serves its last consistent view (staleness has its own signals: /status and
// the metrics). `http.readiness: strict` also leaves the service while the replica is stale.
// Rules cited here: docs/semantics.md#rule-8, #rule-10.
import type { CacheStatus } from "@lattice-cache/core";
import type { HostState } from "@lattice-cache/plugin";
import type { ReadinessMode } from "../config/core-settings.js";

/** What the readiness verdict is drawn from, read on every `/readyz` request. */
export interface ReadinessInput {
  /** `http.readiness`. */
  readonly mode: ReadinessMode;
  /** The replica's status, or undefined before the backend is open. */
  readonly status: CacheStatus | undefined;
  /** True once the initial sync completed (rule 8). */
  readonly synced: boolean;
  /** True once the host began shutting down. */
  readonly closing: boolean;
  /** Why the backend is not open yet, when known. */
  readonly problem?: string | undefined;
  /** The sections of the host (the bridge) that are not ready, by name. */
  readonly waitingFor: readonly string[];
}

/** The `/readyz` body; `ready`, `state` and `waitingFor` keep their earlier meaning. */
export interface ReadinessVerdict {
  /** True: answer 200 (take traffic). */
  readonly ready: boolean;
  /** The host's state, as on `/status`. */
  readonly state: HostState;
  /** `http.readiness`. */
  readonly readiness: ReadinessMode;
  /** Why it is (not) ready, one sentence for people. */
  readonly reason: string;
  /** Since when the replica is stale (ISO time), when it is. */
  readonly staleSince?: string;
  /** Sections not ready yet, when there are. */
  readonly waitingFor?: readonly string[];
}

/** The readiness verdict for `input`: see the module comment; each case says its reason. */
export function readinessOf(input: ReadinessInput): ReadinessVerdict {
  const { mode, status } = input;
  const state: HostState = status?.state ?? "connecting";
  const staleSince = state === "stale" ? status?.staleSince : undefined;
  const verdict = (ready: boolean, reason: string): ReadinessVerdict => ({
    ready,
    state,
    readiness: mode,
    reason,
    ...(staleSince === undefined ? {} : { staleSince }),
    ...(input.waitingFor.length > 0 ? { waitingFor: input.waitingFor } : {}),
  });
  if (input.closing) return verdict(false, "the host is shutting down");
  if (status === undefined) {
    return verdict(
      false,
      input.problem === undefined
        ? "the backend is not open yet"
        : `the backend is not open yet: ${input.problem}`,
    );
  }
  if (!input.synced) return verdict(false, "the initial sync has not completed yet");
  if (input.waitingFor.length > 0) return verdict(false, `waiting for ${input.waitingFor.join(", ")}`);
  if (state === "stale") {
    const why = `the backend is out of reach or makes no progress${status.lastError ? ` (${status.lastError})` : ""}`;
    return mode === "strict"
      ? verdict(false, `the replica is stale: ${why}; http.readiness is strict`)
      : verdict(true, `serving its last consistent view: ${why}`);
  }
  if (state === "resyncing") return verdict(true, "serving its last consistent view while it resyncs");
  return verdict(true, "serving the live replica");
}
