// status() reports what the replica holds and how current it is; close() is idempotent, local and bounded:
// it settles whatever the feed or a compaction is doing at that moment, and tells the truth about the writes
// in flight (issue 22 item 6).
// Rules cited here: docs/semantics.md#rule-10, #rule-12.
import { deepStrictEqual, equal, notEqual, ok } from "node:assert/strict";
import { compactLattice, errorText, LatticeCacheError } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { eventually, withinDeadline } from "../eventually.js";
import { expectErrorCode } from "../expect-error.js";
import { replicaValues } from "../replica-contents.js";
import { sampleClaims, sampleLinkdef, sampleLinkdefRef, sampleRefmap, slotOf } from "../sample-values.js";
import type { StoreSession } from "../store-session.js";
import { wireClaimsKey } from "../wire-keys.js";
import { claimsBytes } from "./backend-contract.js";

/** The status() group. */
export const cacheStatus: TestGroup = {
  title: "status()",
  define({ test, features }) {
    const { ordered } = features.capabilities;

    const title = ordered
      ? "reports live state, the backend's revision, equal digests and per-collection counts"
      : "reports live state, equal values on every host and per-collection counts";
    test(title, async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const empty = a.status();
      equal(empty.state, "live");
      equal(empty.backend, session.backendOf(a).name);
      deepStrictEqual(empty.capabilities, session.backendOf(a).capabilities);
      equal(empty.hostId, a.hostId);
      ok(/^[0-9a-f]+$/.test(empty.digest), `digest ${empty.digest} is hex`);
      await a.linkdefs.put(sampleLinkdef("MSTATUS1"));
      await a.linkdefs.put(sampleLinkdef("MSTATUS2"));
      await b.claims.put(sampleClaims("MSTATUS"));
      await b.refmaps.put(sampleRefmap("registry.example/status:1"));
      await a.linkdefs.delete(sampleLinkdefRef("MSTATUS2"));
      const expectedCounts = { linkdefs: 1, claims: 1, refmaps: 1 };
      if (ordered) await session.settle([a, b]);
      await eventually(
        "both replicas count the live entries",
        () => [a, b].every((c) => JSON.stringify(c.status().counts) === JSON.stringify(expectedCounts)),
        session.poll(),
      );
      const [sa, sb] = [a.status(), b.status()];
      if (ordered) {
        equal(sa.digest, sb.digest, "replicas holding the same entries report the same digest");
      } else {
        // The digest hashes revisions, which an unordered backend stamps locally on each host (rule 12):
        // digests differ across its hosts by design, so the replicas' values are compared instead.
        deepStrictEqual(replicaValues(a), replicaValues(b), "both replicas hold the same values");
      }
      notEqual(sa.digest, empty.digest, "the digest changes with the content");
      if (ordered) {
        const head = await session.head();
        equal(sa.revision, head.revision, "status().revision is the backend's head after settling");
        equal(sa.lag, 0);
      }
      equal(sa.state, "live");
      equal(sa.staleSince, undefined);
      ok(sa.counters.writes >= 3, "the write counter counts this host's writes");
    });
  },
};

/** How long one close() may take in these tests: the session's own release deadline. */
const CLOSE_DEADLINE_MS = 15_000;

/** How a rejected write must read when the store may have stored it anyway (`BackendUnavailableError`). */
export const OUTCOME_UNKNOWN = /may or may not have been (applied|written)/;

/** How many writes are in flight when the cache closes. */
const WRITES_IN_FLIGHT = 200;

/** What one write in flight at close() came to, and whether the store holds it afterwards. */
interface InFlightWrite {
  readonly key: string;
  readonly error?: unknown;
  readonly stored: boolean;
}

/**
 * Rule 10 at close(): a write the store stored is never reported as failed; a rejected write was not
 * stored, unless its error says the outcome is unknown. Returns one line per write that lies.
 */
function untruthfulWrites(writes: readonly InFlightWrite[]): string[] {
  const lies: string[] = [];
  for (const write of writes) {
    if (write.error === undefined) {
      if (!write.stored) lies.push(`${write.key}: resolved, but not in the store`);
    } else if (
      !LatticeCacheError.hasCode(write.error, "CLOSED") &&
      !LatticeCacheError.hasCode(write.error, "BACKEND_UNAVAILABLE")
    ) {
      lies.push(
        `${write.key}: rejected with an error other than CLOSED or BACKEND_UNAVAILABLE: ${errorText(write.error)}`,
      );
    } else if (write.stored && !OUTCOME_UNKNOWN.test(errorText(write.error))) {
      lies.push(`${write.key}: rejected with "${errorText(write.error)}", but in the store`);
    }
  }
  return lies;
}

/** Counts outcomes by error code (`OK` for resolved writes), for the failure message. */
function outcomeCounts(writes: readonly InFlightWrite[]): string {
  const counts: Record<string, number> = {};
  for (const { error } of writes) {
    const code = error === undefined ? "OK" : LatticeCacheError.isInstance(error) ? error.code : "UNTYPED";
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return JSON.stringify(counts);
}

/**
 * Closes (`close`) while `writes` are in flight, settles them, reads each key from the store through the
 * backdoor and fails naming every write whose outcome lies (see `untruthfulWrites`).
 */
async function expectTruthfulClose(
  session: StoreSession,
  writes: ReadonlyArray<{ readonly key: string; readonly write: Promise<unknown> }>,
  close: () => Promise<void>,
): Promise<void> {
  const settled = writes.map(({ write }) =>
    write.then(
      () => undefined,
      (error: unknown) => error ?? new Error("rejected without a reason"),
    ),
  );
  await withinDeadline(close(), CLOSE_DEADLINE_MS, "close() with writes in flight");
  const errors = await withinDeadline(Promise.all(settled), CLOSE_DEADLINE_MS, "the writes after close()");
  const outcomes: InFlightWrite[] = [];
  for (const [i, { key }] of writes.entries()) {
    const raw = await session.backdoor.readRaw(key);
    outcomes.push({ key, error: errors[i], stored: raw !== undefined && raw.value !== null });
  }
  deepStrictEqual(untruthfulWrites(outcomes), [], `outcomes: ${outcomeCounts(outcomes)}`);
}

/** The close() group. */
export const cacheClose: TestGroup = {
  title: "close()",
  define({ test, options, features }) {
    if (features.backdoor.interruptFeed && features.backdoor.blackhole) {
      test("close() settles while the feed is reconnecting into a silent partition", async (session) => {
        const cache = await session.cache();
        // The feed's connection is cut, then every new connection is swallowed: the feed sits in a
        // reconnection that never completes (PostgreSQL: a client ended mid-connect never settled).
        await session.backdoor.interruptFeed!(session.backendOf(cache), true);
        await session.backdoor.blackhole!();
        await eventually(
          "the replica noticed its feed is down",
          () => cache.status().state !== "live",
          session.poll(),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
          await withinDeadline(cache.close(), CLOSE_DEADLINE_MS, "close() during a reconnection");
        } finally {
          await session.backdoor.reconnect!();
        }
      });
    }

    if (features.compaction) {
      test("close() settles while the cache's backend is compacting; the compaction ends (done or with a typed error)", async (session) => {
        const cache = await session.cache();
        const deletable = demandedDeletes(features.capabilities);
        for (let i = 0; i < 20; i++) {
          const slot = deletable.includes("claims")
            ? slotOf.claims(`MCOMPACTCLOSE${i}`)
            : slotOf.linkdef(`MCOMPACTCLOSE${i}`);
          await slot.put(cache, 1);
          await slot.remove(cache);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        const compaction = compactLattice(session.backendOf(cache), {
          olderThanMs: 10,
          hostId: "closing-host",
        }).then(
          (outcome) => outcome,
          (error: unknown) => error,
        );
        await withinDeadline(cache.close(), CLOSE_DEADLINE_MS, "close() during a compaction");
        const outcome = await withinDeadline(compaction, CLOSE_DEADLINE_MS, "the compaction after close()");
        if (outcome instanceof Error) {
          ok(
            LatticeCacheError.hasCode(outcome, "CLOSED") ||
              LatticeCacheError.hasCode(outcome, "BACKEND_UNAVAILABLE"),
            `a compaction cut short by close() fails with CLOSED or BACKEND_UNAVAILABLE (got ${errorText(outcome)})`,
          );
        } else {
          equal(
            (outcome as { status: string }).status,
            "compacted",
            "a compaction that finished first compacted",
          );
        }
      });
    }

    test("close() is idempotent, ends watchers, and later writes fail with ClosedError", async (session) => {
      const cache = await session.cache();
      const iterator = cache.watch();
      const pending = iterator.next();
      await cache.close();
      await cache.close();
      const ended = await withinDeadline(pending, options.waitTimeoutMs, "a pending watch() after close()");
      equal(ended.done, true, "a watcher ends when its cache closes");
      await expectErrorCode("a put after close()", () => cache.claims.put(sampleClaims("MCLOSED")), "CLOSED");
    });

    test(`rule 10 (issue 22 item 6): ${WRITES_IN_FLIGHT} puts in flight at cache.close() — each that resolved is stored, each rejected without "outcome unknown" is not`, async (session) => {
      const cache = await session.cache();
      const slots = Array.from({ length: WRITES_IN_FLIGHT }, (_, i) => slotOf.linkdef(`MINFLIGHT${i}`));
      await expectTruthfulClose(
        session,
        slots.map((slot) => ({ key: slot.key, write: slot.put(cache, 1) })),
        () => cache.close(),
      );
    });

    test(`rule 10 (issue 22 item 6): ${WRITES_IN_FLIGHT} backend writes in flight at backend.close() — each that resolved is stored, each rejected without "outcome unknown" is not`, async (session) => {
      const backend = await session.rawBackend();
      const subs = Array.from({ length: WRITES_IN_FLIGHT }, (_, i) => `MRAWINFLIGHT${i}`);
      await expectTruthfulClose(
        session,
        subs.map((sub) => ({
          key: wireClaimsKey(sub),
          write: backend.write({
            key: wireClaimsKey(sub),
            value: claimsBytes(sub, "in flight"),
            origin: "closing-host",
          }),
        })),
        () => backend.close(),
      );
    });

    test("closing one host leaves the other hosts on the store working", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      await a.close();
      await b.claims.put(sampleClaims("MAFTERCLOSE", "still"));
      equal(b.claims.get("MAFTERCLOSE")?.name, "still");
      const c = await session.cache();
      equal(c.claims.get("MAFTERCLOSE")?.name, "still", "a new host sees what the remaining host wrote");
    });
  },
};
