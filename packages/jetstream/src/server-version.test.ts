import { describe, expect, it } from "vitest";
import { compareServerVersions } from "./server-version.js";

describe("compareServerVersions", () => {
  it("orders major, minor and patch numerically", () => {
    expect(compareServerVersions("2.9.10", "2.10.0")).toBeLessThan(0);
    expect(compareServerVersions("2.10.0", "2.9.10")).toBeGreaterThan(0);
    expect(compareServerVersions("2.9.10", "2.9.9")).toBeGreaterThan(0);
    expect(compareServerVersions("2.9.10", "2.9.10")).toBe(0);
  });

  it("ignores pre-release suffixes and reads missing parts as 0", () => {
    expect(compareServerVersions("2.11.0-beta.1", "2.11.0")).toBe(0);
    expect(compareServerVersions("2.9", "2.9.0")).toBe(0);
  });
});
