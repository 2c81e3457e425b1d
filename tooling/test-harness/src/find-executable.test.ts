import { describe, expect, it } from "vitest";
import { findExecutable } from "./find-executable.js";

describe("findExecutable", () => {
  it("finds server binaries in sbin directories even when they are not on PATH", () => {
    expect(findExecutable("nats-server", "")).toMatch(/\/nats-server$/);
  });

  it("finds binaries on PATH", () => {
    expect(findExecutable("redis-server")).toMatch(/\/redis-server$/);
  });

  it("fails with a message naming the binary and the searched directories", () => {
    expect(() => findExecutable("no-such-server-binary", "/nonexistent")).toThrow(
      /no-such-server-binary not found: .*searched \/nonexistent, \/usr\/sbin, \/usr\/local\/sbin/,
    );
  });
});
