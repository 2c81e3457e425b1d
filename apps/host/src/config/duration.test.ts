// Durations as settings and flags take them (`tombstoneRetention`, `compact --older-than`).

import { formatDuration, parseDuration } from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./load-config.js";

describe("parseDuration / formatDuration", () => {
  it("reads units and their sums, and 0; writes the largest exact units", () => {
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(parseDuration(" 1h30m ")).toBe(5_400_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("1500ms")).toBe(1500);
    expect(parseDuration("0")).toBe(0);
    expect(formatDuration(86_400_000)).toBe("24h");
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(2000)).toBe("2s");
    expect(formatDuration(1500)).toBe("1500ms");
    expect(formatDuration(0)).toBe("0");
  });

  it("refuses what is no duration: a number without a unit, negatives, unknown units, blanks", () => {
    for (const text of ["5", "-1h", "1x", "h", "", " ", "1.5h", "1 h", "99999999999999999999d"]) {
      expect(parseDuration(text), text).toBeUndefined();
    }
  });
});

describe("the tombstoneRetention setting", () => {
  const load = (flags: Record<string, string>, env: Record<string, string> = {}) =>
    loadConfig({ flags, env, backends: ["memory"] });

  it("defaults to 24 h, and is read from the environment and the flag (the flag wins)", () => {
    expect(load({}).tombstoneRetention).toBe(86_400_000);
    expect(load({}, { LATTICE_TOMBSTONE_RETENTION: "90m" }).tombstoneRetention).toBe(5_400_000);
    expect(load({ tombstoneRetention: "0" }, { LATTICE_TOMBSTONE_RETENTION: "90m" }).tombstoneRetention).toBe(
      0,
    );
  });

  it("refuses a value that is no duration, naming the setting and where it was set", () => {
    expect(() => load({}, { LATTICE_TOMBSTONE_RETENTION: "5" })).toThrow(
      /tombstoneRetention must be a duration like 24h.* \(got "5"\) \(set by env LATTICE_TOMBSTONE_RETENTION\)/,
    );
  });
});
