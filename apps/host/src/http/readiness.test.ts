// `/readyz` means "can serve" (issue 28): each state of a host, in both readiness modes.
import type { CacheStatus } from "@lattice-cache/core";
import type { HostState } from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";
import type { ReadinessMode } from "../config/core-settings.js";
import { type ReadinessInput, readinessOf } from "./readiness.js";

const STALE_SINCE = "2026-12-07T18:00:00.000Z";

function statusIn(state: Exclude<HostState, "connecting">): CacheStatus {
  return {
    state,
    ...(state === "stale" ? { staleSince: STALE_SINCE, lastError: "connection refused" } : {}),
  } as CacheStatus;
}

function input(overrides: Partial<ReadinessInput> & { state?: HostState }): ReadinessInput {
  const { state = "live", ...rest } = overrides;
  return {
    mode: "serving",
    status: state === "connecting" ? undefined : statusIn(state),
    synced: state !== "connecting" && state !== "syncing",
    closing: false,
    waitingFor: [],
    ...rest,
  };
}

describe.each<ReadinessMode>(["serving", "strict"])("http.readiness: %s", (mode) => {
  it("is not ready before the backend is open, and says what stands in the way", () => {
    expect(
      readinessOf(input({ mode, state: "connecting", problem: "cannot reach nats://x: refused" })),
    ).toEqual({
      ready: false,
      state: "connecting",
      readiness: mode,
      reason: "the backend is not open yet: cannot reach nats://x: refused",
    });
  });

  it("is not ready before the initial sync completed", () => {
    expect(readinessOf(input({ mode, state: "syncing" }))).toMatchObject({
      ready: false,
      state: "syncing",
      reason: "the initial sync has not completed yet",
    });
  });

  it("is ready while it serves the live replica", () => {
    expect(readinessOf(input({ mode }))).toEqual({
      ready: true,
      state: "live",
      readiness: mode,
      reason: "serving the live replica",
    });
  });

  it("is ready while resyncing: the replica keeps serving its last consistent view", () => {
    expect(readinessOf(input({ mode, state: "resyncing" }))).toMatchObject({
      ready: true,
      state: "resyncing",
    });
  });

  it("is not ready while shutting down, whatever the replica's state", () => {
    for (const state of ["live", "stale", "resyncing"] as const) {
      expect(readinessOf(input({ mode, state, closing: true }))).toMatchObject({
        ready: false,
        state,
        reason: "the host is shutting down",
      });
    }
  });

  it("is not ready while a section (the bridge) cannot serve, and names it", () => {
    expect(readinessOf(input({ mode, waitingFor: ["bridge"] }))).toMatchObject({
      ready: false,
      reason: "waiting for bridge",
      waitingFor: ["bridge"],
    });
  });
});

describe("a stale replica (the backend out of reach)", () => {
  it("serving: stays ready, saying it serves its last consistent view and since when it is stale", () => {
    expect(readinessOf(input({ state: "stale" }))).toEqual({
      ready: true,
      state: "stale",
      readiness: "serving",
      reason:
        "serving its last consistent view: the backend is out of reach or makes no progress (connection refused)",
      staleSince: STALE_SINCE,
    });
  });

  it("strict: is not ready (the behaviour before issue 28)", () => {
    expect(readinessOf(input({ mode: "strict", state: "stale" }))).toEqual({
      ready: false,
      state: "stale",
      readiness: "strict",
      reason:
        "the replica is stale: the backend is out of reach or makes no progress (connection refused); http.readiness is strict",
      staleSince: STALE_SINCE,
    });
  });
});
