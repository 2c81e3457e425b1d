// BackendLifecycle: open once, connect until a deadline, close that tells the truth about writes in flight —
// the part of a connection-keeping backend that is the same for every store.
// Rules cited here: docs/semantics.md#rule-10.
import { describe, expect, it } from "vitest";
import { BackendLifecycle, type BackendLifecycleOptions } from "./backend-lifecycle.js";
import type { ConnectDeadline } from "./connect-deadline.js";
import { BackendUnavailableError, ClosedError } from "./errors.js";

/** A connection of a fake store: its number and whether it was released. */
interface Connection {
  readonly id: number;
  released: boolean;
}

/** A lifecycle whose connect() hands out numbered connections, or fails while `failures` is positive. */
function lifecycle(overrides: Partial<BackendLifecycleOptions<Connection>> = {}) {
  const made: Connection[] = [];
  const deadlines: ConnectDeadline[] = [];
  const opened: number[] = [];
  let failures = 0;
  const life = new BackendLifecycle<Connection>({
    backend: "kv",
    connectTimeoutMs: 5000,
    closeGraceMs: 10_000,
    connect: async (deadline) => {
      deadlines.push(deadline);
      await new Promise((resolve) => setImmediate(resolve));
      if (failures > 0) {
        failures--;
        throw deadline.unavailable("kv://nowhere", "refused");
      }
      const connection = { id: made.length + 1, released: false };
      made.push(connection);
      return connection;
    },
    release: (connection) => {
      connection.released = true;
    },
    opened: (connection) => opened.push(connection.id),
    ...overrides,
  });
  return { life, made, deadlines, opened, failNext: (n: number) => (failures = n) };
}

describe("BackendLifecycle", () => {
  it("opens once: concurrent open() and ready() calls share one connection attempt", async () => {
    const { life, made, opened } = lifecycle();
    expect(life.connection).toBeUndefined();
    const [, , connection] = await Promise.all([life.open(), life.open(), life.ready()]);
    expect(made).toHaveLength(1);
    expect(connection).toBe(made[0]);
    expect(life.connection).toBe(made[0]);
    expect(opened).toEqual([1]);
    await life.open();
    expect(made).toHaveLength(1);
  });

  it("tries again on the next open() after a failed one; each attempt gets its own deadline of connectTimeoutMs", async () => {
    const { life, made, deadlines, failNext } = lifecycle();
    failNext(1);
    await expect(life.open()).rejects.toThrow(
      "kv backend unavailable: no connection to kv://nowhere within 5000 ms: refused",
    );
    await life.open();
    expect(made).toHaveLength(1);
    expect(deadlines).toHaveLength(2);
    expect(deadlines.map((d) => d.timeoutMs)).toEqual([5000, 5000]);
  });

  it("after close(), open() and ready() fail with CLOSED naming the backend", async () => {
    const { life } = lifecycle();
    await life.close();
    expect(life.closed).toBe(true);
    await expect(life.open()).rejects.toThrow(new ClosedError("the kv backend"));
    await expect(life.ready()).rejects.toBeInstanceOf(ClosedError);
  });

  it("a connection that connect() finishes after close() began is released, and that open() fails with CLOSED", async () => {
    const { life, made, opened } = lifecycle();
    const opening = life.open();
    await life.close();
    await expect(opening).rejects.toBeInstanceOf(ClosedError);
    expect(made).toHaveLength(1);
    expect(made[0]?.released).toBe(true);
    expect(opened).toEqual([]);
    expect(life.connection).toBeUndefined();
  });

  it("close() runs the backend's own closing alongside, waits for the writes in flight, then releases the connection", async () => {
    const { life } = lifecycle();
    const connection = await life.ready();
    let answer!: (revision: number) => void;
    const write = life.track(new Promise<number>((resolve) => (answer = resolve)));
    const steps: string[] = [];
    const closing = life.close(async () => {
      steps.push("feeds closed");
    });
    expect(life.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(connection.released).toBe(false);
    answer(7);
    await closing;
    expect(await write).toBe(7);
    expect(steps).toEqual(["feeds closed"]);
    expect(connection.released).toBe(true);
    expect(life.connection).toBeUndefined();
    await life.close(); // idempotent
  });

  it("close() waits no longer than closeGraceMs for a write that never answers", async () => {
    const { life } = lifecycle({ closeGraceMs: 30 });
    const connection = await life.ready();
    life.track(new Promise(() => {}));
    await life.close();
    expect(connection.released).toBe(true);
  });

  it("a write close() cut off says its outcome is unknown (BACKEND_UNAVAILABLE, the cause kept)", () => {
    const { life } = lifecycle();
    const cause = new Error("Connection is closed.");
    const error = life.writeCutOff("CLAIMS_M1", "Connection is closed.", cause);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.message).toBe(
      "kv backend unavailable: the backend closed before the write of CLAIMS_M1 was acknowledged " +
        "(Connection is closed.); the write may or may not have been applied",
    );
    expect(error.cause).toBe(cause);
  });
});
