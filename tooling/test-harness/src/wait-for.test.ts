import { describe, expect, it } from "vitest";
import { waitFor } from "./wait-for.js";

describe("waitFor", () => {
  it("resolves with the first value that is neither undefined nor false", async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 5 });
    expect(value).toEqual({ calls: 3 });
  });

  it("accepts async probes and treats false as not yet", async () => {
    let calls = 0;
    const value = await waitFor(async () => ++calls >= 2 && "ready", { intervalMs: 5 });
    expect(value).toBe("ready");
  });

  it("treats a throwing probe as not yet", async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls < 3) {
          throw new Error("not up");
        }
        return calls;
      },
      { intervalMs: 5 },
    );
    expect(value).toBe(3);
  });

  it("rejects with a message naming the timeout and what it waited for", async () => {
    await expect(waitFor(() => false, { timeoutMs: 200, intervalMs: 20, what: "the moon" })).rejects.toThrow(
      "timed out after 200ms waiting for the moon",
    );
  });

  it("mentions the last error of a failing probe in the timeout message", async () => {
    const probe = (): never => {
      throw new Error("connection refused");
    };
    await expect(waitFor(probe, { timeoutMs: 150, intervalMs: 20, what: "x" })).rejects.toThrow(
      /waiting for x \(last error: connection refused\)/,
    );
  });

  it("times out even if a probe never settles", async () => {
    await expect(
      waitFor(() => new Promise<string>(() => {}), { timeoutMs: 200, what: "a hanging probe" }),
    ).rejects.toThrow("timed out after 200ms waiting for a hanging probe");
  });
});
