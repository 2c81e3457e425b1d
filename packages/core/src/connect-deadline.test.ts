// ConnectDeadline: how long a backend's open() may keep trying, and what it says when nothing answered.
// Rules cited here: docs/semantics.md#rule-10.
import { describe, expect, it } from "vitest";
import { ConnectDeadline } from "./connect-deadline.js";
import { BackendUnavailableError } from "./errors.js";

describe("ConnectDeadline", () => {
  it("has passed once a pause would end at or after it", () => {
    const deadline = new ConnectDeadline("kv", 60_000);
    expect(deadline.passedAfter(0)).toBe(false);
    expect(deadline.passedAfter(59_000)).toBe(false);
    expect(deadline.passedAfter(60_001)).toBe(true);
    expect(new ConnectDeadline("kv", 0).passedAfter(0)).toBe(true);
  });

  it("calls back when it passes, unless cancelled first", async () => {
    const passed: string[] = [];
    new ConnectDeadline("kv", 10).whenPassed(() => passed.push("short"));
    const cancel = new ConnectDeadline("kv", 10).whenPassed(() => passed.push("cancelled"));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(passed).toEqual(["short"]);
  });

  it("says which server did not answer within how long, and why when known, as BACKEND_UNAVAILABLE", () => {
    const deadline = new ConnectDeadline("kv", 5000);
    const cause = new Error("connect ECONNREFUSED");
    const error = deadline.unavailable("kv://127.0.0.1:7000", "connect ECONNREFUSED", cause);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.code).toBe("BACKEND_UNAVAILABLE");
    expect(error.backend).toBe("kv");
    expect(error.message).toBe(
      "kv backend unavailable: no connection to kv://127.0.0.1:7000 within 5000 ms: connect ECONNREFUSED",
    );
    expect(error.cause).toBe(cause);
    expect(deadline.unavailable("kv://127.0.0.1:7000").message).toBe(
      "kv backend unavailable: no connection to kv://127.0.0.1:7000 within 5000 ms",
    );
  });
});
