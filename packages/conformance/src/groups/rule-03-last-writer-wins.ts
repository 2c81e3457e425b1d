// Rule 3: unconditional writes are last-writer-wins by revision, never by wall clock.
// Rules cited here: docs/semantics.md#rule-3.
import { deepStrictEqual, equal } from "node:assert/strict";
import type { TestGroup } from "../conformance-test.js";
import { expectSameReplicas } from "../replica-contents.js";
import { sampleClaims } from "../sample-values.js";
import { expectStoredDeleted, expectStoredLive } from "../stored-entries.js";
import { wireClaimsKey } from "../wire-keys.js";

/** The rule-3 group (ordered backends only). */
export const rule3LastWriterWins: TestGroup = {
  title: "rule 3: last writer wins by revision",
  rule: 3,
  define({ test, features }) {
    if (!features.capabilities.ordered) return;

    test("concurrent unconditional puts from 3 replicas: the highest revision's value wins everywhere", async (session) => {
      const caches = await session.cacheGroup(3);
      const sub = "MLASTWRITER";
      const writes = await Promise.all(
        Array.from({ length: 15 }, (_, i) => {
          const name = `r${i % 3}-w${i}`;
          return caches[i % 3]!.claims.put(sampleClaims(sub, name)).then((o) => ({ ...o, name }));
        }),
      );
      const winner = writes.reduce((best, w) => (w.revision > best.revision ? w : best));
      await session.settle(caches);
      for (const cache of caches) {
        deepStrictEqual(
          { name: cache.claims.get(sub)?.name, revision: cache.claims.getEntry(sub)?.revision },
          { name: winner.name, revision: winner.revision },
          `${cache.hostId} must hold the write with the highest revision`,
        );
      }
      const stored = await expectStoredLive(session.backdoor, wireClaimsKey(sub));
      deepStrictEqual(
        { name: (stored.json as { name: string }).name, revision: stored.revision },
        {
          name: winner.name,
          revision: winner.revision,
        },
      );
      expectSameReplicas(caches, "after concurrent unconditional puts");
    });

    test("a delete racing puts wins only if its revision is the highest", async (session) => {
      const caches = await session.cacheGroup(3);
      const sub = "MLASTDELETE";
      await caches[0].claims.put(sampleClaims(sub, "initial"));
      await session.settle(caches);
      const outcomes = await Promise.all(
        Array.from({ length: 9 }, (_, i) => {
          const cache = caches[i % 3]!;
          return i % 3 === 1
            ? cache.claims.delete(sub).then((o) => ({ ...o, name: undefined }))
            : cache.claims
                .put(sampleClaims(sub, `w${i}`))
                .then((o) => ({ ...o, name: `w${i}` as string | undefined }));
        }),
      );
      const winner = outcomes.reduce((best, w) => (w.revision > best.revision ? w : best));
      await session.settle(caches);
      for (const cache of caches)
        equal(cache.claims.get(sub)?.name, winner.name, `${cache.hostId} after the race`);
      if (winner.name === undefined) await expectStoredDeleted(session.backdoor, wireClaimsKey(sub));
      else equal((await expectStoredLive(session.backdoor, wireClaimsKey(sub))).revision, winner.revision);
    });
  },
};
