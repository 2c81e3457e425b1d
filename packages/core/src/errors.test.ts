import { describe, expect, it } from "vitest";
import {
  BackendUnavailableError,
  ConflictError,
  LatticeCacheError,
  LatticeNotFoundError,
  NotReadyError,
} from "./errors.js";

describe("typed errors", () => {
  it("carry stable codes and the fields a caller needs", () => {
    const e = new ConflictError({ key: "CLAIMS_X", expectedRevision: 3, currentRevision: 5 });
    expect(e.code).toBe("CONFLICT");
    expect(e.currentRevision).toBe(5);
    expect(e.name).toBe("ConflictError");
    expect(e.message).toContain("expected revision 3, current revision is 5");
    expect(new BackendUnavailableError("jetstream", "down").code).toBe("BACKEND_UNAVAILABLE");
    const missing = new LatticeNotFoundError("defualt", "no lattice", { existing: ["default"] });
    expect(missing.code).toBe("LATTICE_NOT_FOUND");
    expect(missing).toMatchObject({ prefix: "defualt", existing: ["default"] });
  });

  it("are recognized across copies of the package by a marker, not only instanceof", () => {
    const foreign = Object.assign(new Error("x"), {
      [Symbol.for("lattice-cache.error")]: true,
      code: "NOT_READY",
    });
    expect(LatticeCacheError.isInstance(foreign)).toBe(true);
    expect(LatticeCacheError.isInstance(new Error("x"))).toBe(false);
    expect(LatticeCacheError.hasCode(new NotReadyError(), "NOT_READY")).toBe(true);
    expect(LatticeCacheError.hasCode(new NotReadyError(), "CONFLICT")).toBe(false);
  });
});
