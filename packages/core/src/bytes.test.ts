import { describe, expect, it } from "vitest";
import { sameBytes } from "./bytes.js";

describe("sameBytes", () => {
  it("compares contents, whatever buffer and offset the views sit on", () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    expect(sameBytes(backing.subarray(1, 4), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(sameBytes(backing.subarray(1, 4), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(sameBytes(backing.subarray(1, 4), new Uint8Array([1, 2]))).toBe(false);
    expect(sameBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
