// Rule 1: one lattice-wide order; duplicates and replays are harmless; every replica sees one key's
// changes in the same order.
// Rules cited here: docs/semantics.md#rule-1.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { LatticeChange } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { expectSameReplicas } from "../replica-contents.js";
import { sampleClaims, sampleLinkdef, sampleRefmap, slotOf } from "../sample-values.js";
import { expectReplicaMatchesStore } from "../stored-entries.js";
import { TappedBackend } from "../tapped-backend.js";
import { wireClaimsKey } from "../wire-keys.js";

/** The rule-1 group (ordered backends only). */
export const rule1TotalOrder: TestGroup = {
  title: "rule 1: total order",
  rule: 1,
  define({ test, features }) {
    if (!features.capabilities.ordered) return;

    test("revisions strictly increase across keys, collections and replicas", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const revisions: number[] = [];
      const lastByKey = new Map<string, number>();
      for (let i = 0; i < 12; i++) {
        const cache = i % 2 === 0 ? a : b;
        const outcome =
          i % 3 === 0
            ? await cache.linkdefs.put(sampleLinkdef(`MORDER${i % 4}`, { i: String(i) }))
            : i % 3 === 1
              ? await cache.claims.put(sampleClaims(`MORDER${i % 4}`, `n${i}`))
              : await cache.refmaps.put(sampleRefmap(`registry.example/order:${i % 4}`, `MPK${i}`));
        revisions.push(outcome.revision);
        lastByKey.set(outcome.key, outcome.revision);
      }
      for (let i = 1; i < revisions.length; i++) {
        ok(
          (revisions[i] ?? 0) > (revisions[i - 1] ?? 0),
          `write ${i} got revision ${revisions[i]} after ${revisions[i - 1]}: ${revisions.join(", ")}`,
        );
      }
      for (const [key, revision] of lastByKey) {
        equal((await session.backdoor.readRaw(key))?.revision, revision, `stored revision of ${key}`);
      }
      equal((await session.head()).revision, revisions.at(-1), "head() is the last write's revision");
      await session.settle([a, b]);
      expectSameReplicas([a, b], "after sequential writes");
      await expectReplicaMatchesStore(a, session.backdoor, lastByKey.keys());
    });

    test("duplicated and replayed feed entries are ignored: a disturbed replica equals a plain one", async (session) => {
      const writer = await session.cache();
      const plain = await session.cache();
      const disturbed = await session.cache({
        wrap: (backend) => new TappedBackend(backend, { duplicate: true, replayPrevious: true }),
      });
      const plainEvents: string[] = [];
      const disturbedEvents: string[] = [];
      const record = (into: string[]) => (e: LatticeChange) =>
        into.push(`${e.operation} ${e.key}@${e.revision}`);
      plain.onChange(record(plainEvents));
      disturbed.onChange(record(disturbedEvents));
      const slots = [
        slotOf.linkdef("MDUPA"),
        slotOf.claims("MDUPB"),
        slotOf.refmap("registry.example/dup:1"),
      ];
      for (let i = 0; i < 30; i++) {
        const slot = slots[i % slots.length];
        if (!slot) continue;
        if (i % 7 === 6) await slot.remove(writer);
        else await slot.put(writer, i);
      }
      await session.settle([writer, plain, disturbed]);
      expectSameReplicas([plain, disturbed], "a replica fed every entry twice plus replays of older ones");
      deepStrictEqual(
        disturbedEvents,
        plainEvents,
        "the disturbed replica must emit each change exactly once",
      );
      await expectReplicaMatchesStore(
        disturbed,
        session.backdoor,
        slots.map((s) => s.key),
      );
    });

    test("one host's sequential writes to one key reach every other replica with the value written at each revision", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const sub = "MSEQUENTIAL";
      const seen: Array<{ revision: number; name: string | undefined }> = [];
      b.claims.onChange((e) => {
        if (e.key === wireClaimsKey(sub)) seen.push({ revision: e.revision, name: e.value?.name });
      });
      const written = new Map<number, string>();
      let last = { revision: 0, name: "" };
      for (let i = 0; i < 10; i++) {
        const name = `v${i}`;
        const outcome = await a.claims.put(sampleClaims(sub, name));
        written.set(outcome.revision, name);
        last = { revision: outcome.revision, name };
      }
      await session.settle([a, b]);
      ok(seen.length > 0, `b saw no change to ${sub}`);
      for (const event of seen) {
        equal(
          event.name,
          written.get(event.revision),
          `b: the change at revision ${event.revision} must carry the value written at that revision (b saw ${seen.map((e) => `${e.name}@${e.revision}`).join(", ")})`,
        );
      }
      deepStrictEqual(seen.at(-1), last, `b's last change to ${sub} is the last write`);
    });

    // A KV store that keeps one revision per key (wasmCloud's history 1) may compact a value away before a
    // feed delivers it, so a replica need not see every intermediate write — but what it sees must be in
    // revision order, each change once, match what was written at that revision, and end with the last write.
    test("every replica sees one key's changes in revision order, each at most once, ending with the last", async (session) => {
      const [a, b, c, d] = await session.cacheGroup(4);
      const sub = "MSAMEORDER";
      const seen = new Map<string, Array<{ revision: number; name: string | undefined }>>();
      for (const observer of [c, d]) {
        const list: Array<{ revision: number; name: string | undefined }> = [];
        seen.set(observer.hostId, list);
        observer.claims.onChange((e) => {
          if (e.key === wireClaimsKey(sub)) list.push({ revision: e.revision, name: e.value?.name });
        });
      }
      const writes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? a : b).claims
            .put(sampleClaims(sub, `w${i}`))
            .then((o) => ({ revision: o.revision, name: `w${i}` })),
        ),
      );
      await session.settle([a, b, c, d]);
      const written = new Map(writes.map((w) => [w.revision, w.name]));
      const last = [...writes].sort((x, y) => x.revision - y.revision).at(-1);
      for (const [host, list] of seen) {
        ok(list.length > 0, `${host} saw no change to ${sub}`);
        for (let i = 0; i < list.length; i++) {
          const event = list[i] as { revision: number; name: string | undefined };
          equal(
            event.name,
            written.get(event.revision),
            `${host}: the change at revision ${event.revision} is that write`,
          );
          if (i > 0)
            ok(event.revision > (list[i - 1]?.revision ?? 0), `${host} saw revisions out of order or twice`);
        }
        deepStrictEqual(list.at(-1), last, `${host} must end with the last write to ${sub}`);
      }
    });
  },
};
