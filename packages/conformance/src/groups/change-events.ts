// Watchers: the async iterator and the callbacks deliver puts and deletes from other hosts, with the
// previous value, filtered by collection when asked.
import { AssertionError, deepStrictEqual, equal } from "node:assert/strict";
import type { LatticeChange } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { eventually, withinDeadline } from "../eventually.js";
import { sampleClaims, sampleRefmap, slotOf } from "../sample-values.js";
import { wireClaimsKey } from "../wire-keys.js";

/** The fields of a change the tests compare. */
function shape(e: LatticeChange): {
  collection: string;
  key: string;
  operation: string;
  value: unknown;
  previous: unknown;
} {
  return {
    collection: e.collection,
    key: e.key,
    operation: e.operation,
    value: e.value,
    previous: e.previous,
  };
}

/** The change events group. */
export const changeEvents: TestGroup = {
  title: "change events: watch() and onChange()",
  define({ test, features, options }) {
    const { ordered } = features.capabilities;
    const deletable = demandedDeletes(features.capabilities);

    test("watch() iterates another host's put, replace and delete, each with the previous value", async (session) => {
      const [watcher, writer] = await session.cacheGroup(2);
      const iterator = watcher.watch();
      // Claims where the backend must delete them; a link definition on a broadcast without claims deletes.
      const slot = deletable.includes("claims") ? slotOf.claims("MWATCHED") : slotOf.linkdef("MWATCHED");
      const first = await slot.put(writer, 1);
      const second = await slot.put(writer, 2);
      const removed = await slot.remove(writer);
      const events: LatticeChange[] = [];
      while (events.length < 3) {
        const next = await withinDeadline(
          iterator.next(),
          options.waitTimeoutMs,
          `watch() event ${events.length + 1}`,
        );
        if (next.done) throw new AssertionError({ message: "watch() ended early" });
        events.push(next.value);
      }
      await iterator.return?.();
      const v1 = slot.normalized(watcher, 1);
      const v2 = slot.normalized(watcher, 2);
      const { collection, key } = slot;
      deepStrictEqual(events.map(shape), [
        { collection, key, operation: "put", value: v1, previous: undefined },
        { collection, key, operation: "put", value: v2, previous: v1 },
        { collection, key, operation: "delete", value: undefined, previous: v2 },
      ]);
      if (ordered)
        deepStrictEqual(
          events.map((e) => e.revision),
          [first.revision, second.revision, removed.revision],
        );
    });

    test("onChange() and per-collection watchers see only their collections; unsubscribing stops delivery", async (session) => {
      const [watcher, writer] = await session.cacheGroup(2);
      const all: LatticeChange[] = [];
      const refmapEvents: string[] = [];
      const stopAll = watcher.onChange((e) => all.push(e));
      watcher.refmaps.onChange((e) => refmapEvents.push(`${e.operation} ${e.value?.public_key ?? ""}`));
      const claimsOnly = watcher.claims.watch();
      await writer.refmaps.put(sampleRefmap("registry.example/events:1", "MPK1"));
      await writer.claims.put(sampleClaims("MEVENTS", "one"));
      await writer.refmaps.put(sampleRefmap("registry.example/events:1", "MPK2"));
      await eventually("all three changes arrive", () => all.length >= 3, session.poll());
      deepStrictEqual(
        all.map((e) => e.collection),
        ["refmaps", "claims", "refmaps"],
      );
      deepStrictEqual(all[2]?.previous, { oci_url: "registry.example/events:1", public_key: "MPK1" });
      deepStrictEqual(refmapEvents, ["put MPK1", "put MPK2"]);
      const claim = await withinDeadline(claimsOnly.next(), options.waitTimeoutMs, "claims.watch() event");
      equal(claim.done ? undefined : claim.value.key, wireClaimsKey("MEVENTS"));
      stopAll();
      if (deletable.includes("refmaps")) {
        await writer.refmaps.delete("registry.example/events:1");
      } else {
        // A broadcast cannot delete reference maps: a third put is the change after unsubscribing.
        await writer.refmaps.put(sampleRefmap("registry.example/events:1", "MPK3"));
      }
      await eventually(
        "the refmap listener sees the third change",
        () => refmapEvents.length === 3,
        session.poll(),
      );
      equal(all.length, 3, "an unsubscribed listener gets nothing more");
      if (deletable.includes("refmaps")) equal(refmapEvents[2], "delete ", "a delete event has no value");
      else equal(refmapEvents[2], "put MPK3");
      await claimsOnly.return?.();
    });
  },
};
