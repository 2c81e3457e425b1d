// Rule 4: conditional writes succeed only at the expected revision; a refused one writes nothing and says
// which revision is current. Without compareAndSwap they are refused as unsupported.
// Rules cited here: docs/semantics.md#rule-4.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ConflictError } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { eventually } from "../eventually.js";
import { expectErrorCode } from "../expect-error.js";
import { expectRevisionAfterLoss } from "../revisions-after-loss.js";
import { sampleClaims } from "../sample-values.js";
import type { StoreSession } from "../store-session.js";
import { expectStoredDeleted, expectStoredLive } from "../stored-entries.js";
import { wireClaimsKey } from "../wire-keys.js";

/** Asserts the key's raw entry and the backend head are what they were: nothing was written. */
async function expectNothingWritten(
  session: StoreSession,
  key: string,
  before: { raw: unknown; head: number },
  ordered: boolean,
): Promise<void> {
  deepStrictEqual(
    await session.backdoor.readRaw(key),
    before.raw,
    `a refused write must leave ${key} unchanged`,
  );
  if (ordered)
    equal((await session.head()).revision, before.head, "a refused write must not take a revision");
}

async function storedState(session: StoreSession, key: string): Promise<{ raw: unknown; head: number }> {
  return { raw: await session.backdoor.readRaw(key), head: (await session.head()).revision };
}

/** The rule-4 group. */
export const rule4ConditionalWrites: TestGroup = {
  title: "rule 4: conditional writes",
  rule: 4,
  define({ test, features }) {
    const { compareAndSwap, ordered } = features.capabilities;

    if (!compareAndSwap) {
      test("without compareAndSwap, expectedRevision is refused with UnsupportedOperationError", async (session) => {
        const cache = await session.cache();
        const key = wireClaimsKey("MNOCONDITION");
        await expectErrorCode(
          "put with expectedRevision",
          () => cache.claims.put(sampleClaims("MNOCONDITION"), { expectedRevision: 0 }),
          "UNSUPPORTED",
        );
        await expectErrorCode(
          "delete with expectedRevision",
          () => cache.claims.delete("MNOCONDITION", { expectedRevision: 0 }),
          "UNSUPPORTED",
        );
        equal(await session.backdoor.readRaw(key), undefined, "nothing may be stored");
      });
      return;
    }

    test("a matching expectedRevision succeeds, also from another replica", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const sub = "MCASMATCH";
      const first = await a.claims.put(sampleClaims(sub, "first"));
      await eventually(
        "replica b has the first write",
        () => b.claims.getEntry(sub)?.revision === first.revision,
        session.poll(),
      );
      const second = await b.claims.put(sampleClaims(sub, "second"), { expectedRevision: first.revision });
      const stored = await expectStoredLive(session.backdoor, wireClaimsKey(sub));
      deepStrictEqual(
        { name: (stored.json as { name: string }).name, revision: stored.revision },
        { name: "second", revision: second.revision },
      );
      if (ordered) ok(second.revision > first.revision, "the conditional write's revision is higher");
    });

    test("a stale expectedRevision is refused with ConflictError carrying the current revision; nothing is written", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const sub = "MCASSTALE";
      const key = wireClaimsKey(sub);
      const first = await a.claims.put(sampleClaims(sub, "first"));
      const second = await a.claims.put(sampleClaims(sub, "second"));
      const before = await storedState(session, key);
      const error = (await expectErrorCode(
        "put with a stale expectedRevision",
        () => b.claims.put(sampleClaims(sub, "stale"), { expectedRevision: first.revision }),
        "CONFLICT",
      )) as ConflictError;
      equal(
        error.currentRevision,
        second.revision,
        "ConflictError.currentRevision must be the key's actual revision",
      );
      await expectNothingWritten(session, key, before, ordered);
      const wrongCreate = (await expectErrorCode(
        "put with expectedRevision 0 on an existing key",
        () => b.claims.put(sampleClaims(sub, "create"), { expectedRevision: 0 }),
        "CONFLICT",
      )) as ConflictError;
      equal(
        wrongCreate.currentRevision,
        second.revision,
        "ConflictError.currentRevision for a failed create",
      );
      await expectNothingWritten(session, key, before, ordered);
      await eventually(
        "both replicas serve the current value",
        () => a.claims.get(sub)?.name === "second" && b.claims.get(sub)?.name === "second",
        session.poll(),
      );
    });

    test("expectedRevision 0 creates a missing key, and only once", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const sub = "MCASCREATE";
      const results = await Promise.allSettled([
        a.claims.put(sampleClaims(sub, "from-a"), { expectedRevision: 0 }),
        b.claims.put(sampleClaims(sub, "from-b"), { expectedRevision: 0 }),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      equal(won.length, 1, "exactly one of two concurrent creates succeeds");
      const lost = results.find((r) => r.status === "rejected");
      await expectErrorCode("the losing create", () => Promise.reject(lost?.reason), "CONFLICT");
      const stored = await expectStoredLive(session.backdoor, wireClaimsKey(sub));
      equal(stored.revision, won[0]?.status === "fulfilled" ? won[0].value.revision : undefined);
    });

    test("expectedRevision 0 succeeds on a deleted key (a deleted key does not exist)", async (session) => {
      const cache = await session.cache();
      const sub = "MCASRECREATE";
      await cache.claims.put(sampleClaims(sub, "first"));
      await cache.claims.delete(sub);
      const again = await cache.claims.put(sampleClaims(sub, "again"), { expectedRevision: 0 });
      const stored = await expectStoredLive(session.backdoor, wireClaimsKey(sub));
      deepStrictEqual(
        { name: (stored.json as { name: string }).name, revision: stored.revision },
        { name: "again", revision: again.revision },
      );
    });

    if (features.backdoor.loseHistory) {
      test("a conditional write never matches a revision of a lost history: an update builds on the edit acknowledged in the new one", async (session) => {
        const sub = "MOTHERHISTORY";
        const key = wireClaimsKey(sub);
        const a = await session.cache();
        const first = await a.claims.put(sampleClaims(sub, "1"));
        const before = a.claims.getEntry(sub);
        const lostHead = ordered ? (await session.head()).revision : 0;
        await session.backdoor.loseHistory!();
        const b = await session.cache();
        let acknowledged = 0;
        await session.writeWhenPossible("b's write in the new history", async () => {
          acknowledged = (await b.claims.put(sampleClaims(sub, "10"))).revision;
        });
        if (ordered) {
          // Restarting revisions make b's edit reuse the very revision a read in the old history.
          expectRevisionAfterLoss(
            features.capabilities.revisionsRestart,
            acknowledged,
            { first: first.revision, head: lostHead },
            "b's edit in the new history",
          );
        }
        // a may not have noticed the loss yet: it holds "1" at that same revision of the old history.
        const stale = (await expectErrorCode(
          "a conditional put naming the old history's revision and epoch",
          () =>
            a.claims.put(sampleClaims(sub, "2"), {
              expectedRevision: first.revision,
              expectedEpoch: before?.epoch,
            }),
          "CONFLICT",
        )) as ConflictError;
        equal(stale.otherHistory, true, "the conflict says the expectation belongs to another history");
        // a's replica may hold the old value, nothing yet (resynced, b's edit still on its way), or b's edit.
        const outcome = await a.claims.update(sub, (cur) => ({
          ...sampleClaims(sub),
          name: String(Number(cur?.name ?? "0") + 1),
        }));
        equal(outcome.value?.name, "11", "a's update was computed from b's acknowledged edit");
        const raw = await session.backdoor.readRaw(key);
        ok(raw?.value, "the key is stored");
        equal(
          JSON.parse(new TextDecoder().decode(raw.value)).name,
          "11",
          "the store holds the edit built on b's",
        );
        await eventually("b sees a's edit", () => b.claims.get(sub)?.name === "11", session.poll());
      });
    }

    test("delete with expectedRevision: a stale one is refused and deletes nothing, a matching one deletes", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const sub = "MCASDELETE";
      const key = wireClaimsKey(sub);
      const first = await a.claims.put(sampleClaims(sub, "first"));
      const second = await a.claims.put(sampleClaims(sub, "second"));
      const before = await storedState(session, key);
      const error = (await expectErrorCode(
        "delete with a stale expectedRevision",
        () => b.claims.delete(sub, { expectedRevision: first.revision }),
        "CONFLICT",
      )) as ConflictError;
      equal(error.currentRevision, second.revision);
      await expectNothingWritten(session, key, before, ordered);
      const deleted = await b.claims.delete(sub, { expectedRevision: second.revision });
      const stored = await expectStoredDeleted(session.backdoor, key);
      if (stored) equal(stored.revision, deleted.revision);
      await eventually(
        "both replicas drop the deleted key",
        () => a.claims.get(sub) === undefined && b.claims.get(sub) === undefined,
        session.poll(),
      );
    });
  },
};
