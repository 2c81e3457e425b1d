// Rule 6: deletes are tombstones with their own revision; an older put never resurrects a deleted key.
// Rules cited here: docs/semantics.md#rule-6, #rule-7.
import { AssertionError, equal, ok } from "node:assert/strict";
import { COLLECTION_NAMES, errorText, LatticeCacheError, type LatticeChange } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { eventually } from "../eventually.js";
import { type KeySlot, sampleRefmap, slotOf } from "../sample-values.js";
import { expectStoredDeleted, expectStoredLive } from "../stored-entries.js";
import { TappedBackend } from "../tapped-backend.js";
import { wireRefmapKey } from "../wire-keys.js";

const URL = "registry.example/tombstone:1";

/** One key of `collection` for the tests below, named by `tag`. */
function slotIn(collection: KeySlot["collection"], tag: string): KeySlot {
  if (collection === "linkdefs") return slotOf.linkdef(`M${tag.toUpperCase()}`);
  if (collection === "claims") return slotOf.claims(`M${tag.toUpperCase()}`);
  return slotOf.refmap(`registry.example/${tag}:1`);
}

/** The rule-6 group. */
export const rule6Tombstones: TestGroup = {
  title: "rule 6: deletes are tombstones",
  rule: 6,
  define({ test, features }) {
    const { ordered } = features.capabilities;
    const deletable = demandedDeletes(features.capabilities);

    test("a deleted key stays deleted for a replica syncing from scratch", async (session) => {
      // Reference maps where the backend must delete them; link definitions on a broadcast.
      const collection = deletable.includes("refmaps") ? "refmaps" : "linkdefs";
      const deleted = slotIn(collection, "tombstone");
      const kept = slotIn(collection, "kept");
      const writer = await session.cache();
      await deleted.put(writer, 1);
      await deleted.remove(writer);
      await kept.put(writer, 2);
      const fresh = await session.cache();
      equal(deleted.entry(fresh), undefined, "the deleted key must not come back");
      equal(kept.counter(fresh), 2, "the other key is served");
      equal(fresh[collection].size, 1);
    });

    const undemanded = COLLECTION_NAMES.filter((c) => !deletable.includes(c));
    if (undemanded.length > 0) {
      test(`deleting ${undemanded.join(" or ")} reaches every host or throws UnsupportedOperationError, never only locally`, async (session) => {
        const [a, b] = await session.cacheGroup(2);
        for (const slot of undemanded.map((c) => slotIn(c, "undemanded"))) {
          await slot.put(a, 1);
          await eventually(`${b.hostId} serves ${slot.key}`, () => slot.counter(b) === 1, session.poll());
          let refused = false;
          try {
            await slot.remove(a);
          } catch (error) {
            if (!LatticeCacheError.hasCode(error, "UNSUPPORTED")) {
              throw new AssertionError({
                message: `deleting ${slot.key}: expected success or UNSUPPORTED, got ${errorText(error)}`,
              });
            }
            refused = true;
          }
          if (refused) {
            // A delete applied here but not sent would be a silent split brain between the hosts.
            equal(slot.counter(a), 1, `a refused delete of ${slot.key} must not be applied by the writer`);
            equal(slot.counter(b), 1, `a refused delete of ${slot.key} must not reach another host`);
            await expectStoredLive(session.backdoor, slot.key);
          } else {
            equal(slot.entry(a), undefined, `the writer applied its delete of ${slot.key} (rule 7)`);
            await eventually(
              `${b.hostId} applies the delete of ${slot.key}`,
              () => slot.entry(b) === undefined,
              session.poll(),
            );
            await expectStoredDeleted(session.backdoor, slot.key);
          }
        }
      });
    }

    if (!ordered) return;

    test("an older put replayed after the delete does not resurrect the key", async (session) => {
      const writer = await session.cache();
      let tap: TappedBackend | undefined;
      const watcher = await session.cache({
        wrap: (backend) => {
          tap = new TappedBackend(backend);
          return tap;
        },
      });
      const events: LatticeChange[] = [];
      watcher.onChange((e) => events.push(e));
      const put = await writer.refmaps.put(sampleRefmap(URL, "MOLD"));
      const putBytes = (await session.backdoor.readRaw(wireRefmapKey(URL)))?.value ?? null;
      const del = await writer.refmaps.delete(URL);
      await eventually(
        "the watcher applied the delete",
        () => watcher.status().revision >= del.revision,
        session.poll(),
      );
      const digest = watcher.status().digest;
      const eventsBefore = events.length;
      // The feed hands the old put over again (a redelivery after a reconnect, a lagging mirror).
      tap!.inject({
        key: wireRefmapKey(URL),
        value: putBytes,
        revision: put.revision,
        origin: writer.hostId,
      });
      tap!.inject({ key: wireRefmapKey(URL), value: null, revision: del.revision, origin: writer.hostId });
      equal(watcher.refmaps.get(URL), undefined, "the replayed put must not resurrect the key");
      equal(watcher.status().digest, digest, "the replica's digest is unchanged");
      equal(events.length, eventsBefore, "replays emit no events");
    });

    test("a key deleted and written again gets a new, higher revision", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const first = await a.refmaps.put(sampleRefmap(URL, "MFIRST"));
      const del = await a.refmaps.delete(URL);
      const tombstone = await expectStoredDeleted(session.backdoor, wireRefmapKey(URL));
      if (tombstone) equal(tombstone.revision, del.revision);
      const again = await b.refmaps.put(sampleRefmap(URL, "MAGAIN"));
      ok(
        first.revision < del.revision && del.revision < again.revision,
        `revisions ${first.revision} < ${del.revision} < ${again.revision}`,
      );
      equal((await expectStoredLive(session.backdoor, wireRefmapKey(URL))).revision, again.revision);
      await session.settle([a, b]);
      for (const cache of [a, b]) {
        equal(
          cache.refmaps.getEntry(URL)?.revision,
          again.revision,
          `${cache.hostId} holds the new revision`,
        );
        equal(cache.refmaps.get(URL)?.public_key, "MAGAIN");
      }
    });
  },
};
