// Rule 7: when a write resolves, the same replica already serves it — one at a time and with many in flight.
import { AssertionError, deepStrictEqual, equal } from "node:assert/strict";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { sampleClaims, sampleLinkdef, sampleLinkdefRef, sampleRefmap } from "../sample-values.js";

const SEQUENTIAL_WRITES = 200;
const IN_FLIGHT = 256;

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
  },
};
