// InFlightWrites: what a backend's close() waits for, and for how long at most.
// Rules cited here: docs/semantics.md#rule-10.
import { describe, expect, it } from "vitest";
import { InFlightWrites } from "./in-flight-writes.js";

describe("InFlightWrites", () => {
  it("settle() waits for the writes in flight, and forgets each once it settled", async () => {
    const writes = new InFlightWrites();
    let resolve!: (revision: number) => void;
    const write = writes.track(new Promise<number>((r) => (resolve = r)));
    const failed = writes.track(Promise.reject(new Error("refused")));
    failed.catch(() => {});
    let settled = false;
    const settling = writes.settle(600_000).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    resolve(7);
    await settling;
    expect(await write).toBe(7);
    expect(writes.size).toBe(0);
  });

  it("settle() gives up after the grace while a write never answers, and returns at once with a grace of 0", async () => {
    const writes = new InFlightWrites();
    writes.track(new Promise(() => {}));
    await writes.settle(50);
    await writes.settle(0);
    expect(writes.size).toBe(1);
  });
});
