// Issue 22 item 6 on Redis, "truth at the seams": writes in flight when the backend closes. A write the server
// stored must never be reported as failed; one that is rejected was either not stored or says that its
// outcome is unknown. close() waits (bounded by `closeGraceMs`) for the replies to writes already sent;
// writes not sent yet fail with CLOSED. The healthy-server case runs on every backend in the conformance
// suite (status-and-close.ts); these are the Redis-specific ends: a silent server and the option itself.
// Rules cited here: docs/semantics.md#rule-10.
import { OUTCOME_UNKNOWN } from "@lattice-cache/conformance";
import { ConfigurationError, LatticeCacheError } from "@lattice-cache/core/backend";
import {
  disposeAll,
  type FaultProxyHandle,
  type RedisServerHandle,
  startFaultProxy,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisBackend } from "./redis-backend.js";
import { jsonBytes, RawLattice, uniquePrefix } from "./redis-test-support.test-helpers.js";

let server: RedisServerHandle;
let proxy: FaultProxyHandle | undefined;
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  proxy?.setMode("pass");
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await disposeAll();
});

/** The error a write failed with (undefined when it resolved). */
function outcome(write: Promise<unknown>): Promise<unknown> {
  return write.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("issue 22 item 6: Redis writes in flight at close() are reported truthfully", () => {
  it("replies that do not come (a silent server) — close() returns after closeGraceMs and the writes say their outcome is unknown, not failed", async () => {
    const frozen = await startFaultProxy({ target: { port: server.port } });
    proxy = frozen;
    closers.push(() => frozen.close());
    const prefix = uniquePrefix("close");
    const raw = RawLattice.connect({ url: server.url }, prefix);
    closers.push(() => raw.close());
    const backend = new RedisBackend({ url: frozen.url("redis"), prefix, closeGraceMs: 1_000 });
    closers.push(() => backend.close());
    await backend.open();
    frozen.setMode("blackhole");
    const keys = Array.from({ length: 50 }, (_, i) => `CLAIMS_MFROZEN${i}`);
    const pending = keys.map((key) =>
      outcome(backend.write({ key, value: jsonBytes({ key }), origin: "h" })),
    );
    const started = Date.now();
    await backend.close();
    const closedAfterMs = Date.now() - started;
    const errors = await Promise.all(pending);

    for (const error of errors) {
      expect(LatticeCacheError.hasCode(error, "BACKEND_UNAVAILABLE"), String(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(OUTCOME_UNKNOWN);
    }
    // Bounded: the grace (1 s), not the command timeout (5 s); generous slack for a busy machine.
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(4_500);
  });

  it("a write started after close() began fails with CLOSED and is not stored; those sent before resolve", async () => {
    const prefix = uniquePrefix("close");
    const raw = RawLattice.connect({ url: server.url }, prefix);
    closers.push(() => raw.close());
    const backend = new RedisBackend({ url: server.url, prefix });
    await backend.open();
    const sent = outcome(backend.write({ key: "CLAIMS_MSENT", value: jsonBytes({}), origin: "h" }));
    const closing = backend.close();
    const late = outcome(backend.write({ key: "CLAIMS_MLATE", value: jsonBytes({}), origin: "h" }));
    await closing;

    expect(await sent).toBeUndefined();
    expect(await raw.readRaw("CLAIMS_MSENT")).toBeDefined();
    expect(await late).toMatchObject({ code: "CLOSED" });
    expect(await raw.readRaw("CLAIMS_MLATE")).toBeUndefined();
  });

  it("closeGraceMs: 0 waits for nothing; a negative grace is refused, naming the field", () => {
    expect(() => new RedisBackend({ closeGraceMs: 0 })).not.toThrow();
    expect(() => new RedisBackend({ closeGraceMs: -1 })).toThrow(ConfigurationError);
    expect(() => new RedisBackend({ closeGraceMs: -1 })).toThrow(/redis\.closeGraceMs/);
  });
});
