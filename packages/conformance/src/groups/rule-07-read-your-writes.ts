// Rule 7: when a write resolves, the same replica already serves it — one at a time and with many in flight.
// Rules cited here: docs/semantics.md#rule-7.
import { AssertionError, deepStrictEqual, equal } from "node:assert/strict";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { LaggingBackend } from "../lagging-backend.js";
import { sampleClaims, sampleLinkdef, sampleLinkdefRef, sampleRefmap } from "../sample-values.js";

const SEQUENTIAL_WRITES = 200;
const IN_FLIGHT = 256;
/** How late head() answers in the history-loss test: long enough for a write to resolve meanwhile. */
const SLOW_HEAD_MS = 300;
/** Rounds of writes, history loss and writes again in the history-loss test. */
const LOSS_ROUNDS = 3;

/** The rule-7 group. */
export const rule7ReadYourWrites: TestGroup = {
  title: "rule 7: read-your-writes",
  rule: 7,
  define({ test, features }) {
    const { ordered } = features.capabilities;
    const claimsDeletable = demandedDeletes(features.capabilities).includes("claims");

    test(`after each of ${SEQUENTIAL_WRITES} awaited writes the same replica serves it at once`, async (session) => {
      // A second host writes too, so the feed is busy with foreign changes while we read our own.
      const [cache, other] = await session.cacheGroup(2);
      const background = (async () => {
        for (let i = 0; i < SEQUENTIAL_WRITES / 4; i++)
          await other.claims.put(sampleClaims("MOTHERHOST", `o${i}`));
      })();
      for (let i = 0; i < SEQUENTIAL_WRITES; i++) {
        switch (i % 4) {
          case 0: {
            const o = await cache.linkdefs.put(sampleLinkdef(`MRYW${i % 8}`, { i: String(i) }));
            equal(cache.linkdefs.get(sampleLinkdefRef(`MRYW${i % 8}`))?.values.i, String(i), `write ${i}`);
            if (ordered)
              equal(cache.linkdefs.getEntry(sampleLinkdefRef(`MRYW${i % 8}`))?.revision, o.revision);
            break;
          }
          case 1:
            await cache.claims.put(sampleClaims(`MRYW${i % 8}`, `n${i}`));
            equal(cache.claims.get(`MRYW${i % 8}`)?.name, `n${i}`, `write ${i}`);
            break;
          case 2:
            await cache.refmaps.put(sampleRefmap(`registry.example/ryw:${i % 8}`, `MPK${i}`));
            equal(cache.refmaps.get(`registry.example/ryw:${i % 8}`)?.public_key, `MPK${i}`, `write ${i}`);
            break;
          default:
            if (claimsDeletable) {
              // Deletes the claims written two steps ago.
              await cache.claims.delete(`MRYW${(i - 2) % 8}`);
              equal(cache.claims.get(`MRYW${(i - 2) % 8}`), undefined, `delete ${i}`);
            } else {
              // A broadcast deletes link definitions only: the one written three steps ago.
              await cache.linkdefs.delete(sampleLinkdefRef(`MRYW${(i - 3) % 8}`));
              equal(cache.linkdefs.get(sampleLinkdefRef(`MRYW${(i - 3) % 8}`)), undefined, `delete ${i}`);
            }
        }
      }
      await background;
    });

    test(`with ${IN_FLIGHT} writes in flight each resolves only once its replica serves it`, async (session) => {
      const cache = await session.cache();
      const misses: string[] = [];
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, (_, i) =>
          cache.claims.put(sampleClaims(`MINFLIGHT${i}`, `n${i}`)).then((o) => {
            const entry = cache.claims.getEntry(`MINFLIGHT${i}`);
            if (entry?.value.name !== `n${i}` || (ordered && entry.revision !== o.revision)) {
              misses.push(
                `MINFLIGHT${i}: resolved at ${o.revision}, replica has ${JSON.stringify(entry?.value.name)}@${entry?.revision}`,
              );
            }
          }),
        ),
      );
      if (misses.length) {
        throw new AssertionError({
          message: `${misses.length} writes resolved before their replica served them: ${misses.slice(0, 5).join("; ")}`,
        });
      }
      deepStrictEqual(cache.status().counts.claims, IN_FLIGHT);
    });

    if (ordered && features.backdoor.loseHistory) {
      // After the loss the store reuses revisions below the replica's, so an acknowledged write looks
      // "already superseded". Only a head check that began after the acknowledgement can tell the replica
      // otherwise: one already in flight answers for the store as it was before.
      test("read-your-writes after history loss even when a head check is already in flight", async (session) => {
        let lagging: LaggingBackend | undefined;
        const cache = await session.cache({
          wrap: (backend) => {
            lagging = new LaggingBackend(backend, { headDelayMs: SLOW_HEAD_MS });
            return lagging;
          },
        });
        const sub = "MRYWAFTERLOSS";
        const misses: string[] = [];
        const write = (name: string, when: string) =>
          session.writeWhenPossible(`the write of ${name} ${when}`, async () => {
            const outcome = await cache.claims.put(sampleClaims(sub, name));
            // Checked the moment the write resolves; recorded, not thrown, so the write is not retried.
            const entry = cache.claims.getEntry(sub);
            if (entry?.value.name !== name || entry.revision !== outcome.revision) {
              misses.push(
                `${when}: ${name} resolved at revision ${outcome.revision}, the replica served ${JSON.stringify(entry?.value.name)}@${entry?.revision}`,
              );
            }
          });
        for (let round = 0; round < LOSS_ROUNDS; round++) {
          for (let i = 0; i < 5; i++) await write(`r${round}-before${i}`, `round ${round}, before the loss`);
          // A stall check has just asked for the head; its answer is on its way while the store loses its
          // history and the next write is acknowledged.
          await lagging!.nextHeadCall(session.options.waitTimeoutMs);
          await session.backdoor.loseHistory!();
          for (let i = 0; i < 3; i++) await write(`r${round}-after${i}`, `round ${round}, after the loss`);
        }
        if (misses.length) {
          throw new AssertionError({
            message: `${misses.length} writes resolved before their replica served them: ${misses.slice(0, 5).join("; ")}`,
          });
        }
      });
    }
  },
};
