// Rule 6: deletes are tombstones with their own revision; an older put never resurrects a deleted key.
import { equal, ok } from "node:assert/strict";
import type { LatticeChange } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { eventually } from "../eventually.js";
import { sampleRefmap } from "../sample-values.js";
import { expectStoredDeleted, expectStoredLive } from "../stored-entries.js";
import { TappedBackend } from "../tapped-backend.js";
import { wireRefmapKey } from "../wire-keys.js";

const URL = "registry.example/tombstone:1";

/** The rule-6 group. */
export const rule6Tombstones: TestGroup = {
  title: "rule 6: deletes are tombstones",
  rule: 6,
  define({ test, features }) {
    const { ordered } = features.capabilities;

    test("a deleted key stays deleted for a replica syncing from scratch", async (session) => {
      const writer = await session.cache();
      await writer.refmaps.put(sampleRefmap(URL, "MFIRST"));
      await writer.refmaps.delete(URL);
      await writer.refmaps.put(sampleRefmap("registry.example/kept:1", "MKEPT"));
      const fresh = await session.cache();
      equal(fresh.refmaps.get(URL), undefined, "the deleted key must not come back");
      equal(fresh.refmaps.get("registry.example/kept:1")?.public_key, "MKEPT");
      equal(fresh.refmaps.size, 1);
    });

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
