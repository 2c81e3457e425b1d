// Rule 5: update() is read-modify-write with compare-and-swap and retries — concurrent edits from many
// hosts lose nothing. Without compareAndSwap it is refused as unsupported.
// Rules cited here: docs/semantics.md#rule-5.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { LatticeCache } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { eventually } from "../eventually.js";
import { expectErrorCode } from "../expect-error.js";
import { sampleLinkdef, sampleLinkdefRef } from "../sample-values.js";
import { expectStoredDeleted, expectStoredLive } from "../stored-entries.js";
import { wireLinkdefKey } from "../wire-keys.js";

/** Hosts the concurrent updates are spread over. */
const UPDATING_HOSTS = 3;

/** The rule-5 group. */
export const rule5AtomicEdits: TestGroup = {
  title: "rule 5: atomic edits",
  rule: 5,
  define({ test, features, options }) {
    const { compareAndSwap, ordered } = features.capabilities;

    if (!compareAndSwap) {
      test("without compareAndSwap, update() is refused with UnsupportedOperationError", async (session) => {
        const cache = await session.cache();
        await expectErrorCode(
          "update() on a backend without compareAndSwap",
          () => cache.linkdefs.update(sampleLinkdefRef("MNOUPDATE"), () => sampleLinkdef("MNOUPDATE")),
          "UNSUPPORTED",
        );
        equal(await session.backdoor.readRaw(wireLinkdefKey("MNOUPDATE", "wasmcloud:keyvalue")), undefined);
      });
      return;
    }

    const updates = options.concurrentUpdates;
    test(`${updates} concurrent updates over ${UPDATING_HOSTS} replicas lose no edit`, async (session) => {
      // Enough attempts that contention cannot exhaust them: this test is about lost edits, not give-ups.
      const caches: LatticeCache[] = [];
      for (let i = 0; i < UPDATING_HOSTS; i++) {
        caches.push(await session.cache({ updateRetry: { maxAttempts: Math.max(100, updates * 10) } }));
      }
      const actor = "MCOUNTER";
      const ref = sampleLinkdefRef(actor);
      await caches[0]!.linkdefs.put(sampleLinkdef(actor, { n: "0" }));
      const outcomes = await Promise.all(
        Array.from({ length: updates }, (_, i) =>
          caches[i % UPDATING_HOSTS]!.linkdefs.update(ref, (current) =>
            sampleLinkdef(actor, { n: String(Number(current?.values.n ?? "0") + 1) }),
          ),
        ),
      );
      ok(
        outcomes.every((o) => o.written),
        "every update wrote",
      );
      equal(new Set(outcomes.map((o) => o.revision)).size, updates, "every update got its own revision");
      const stored = await expectStoredLive(session.backdoor, wireLinkdefKey(actor, "wasmcloud:keyvalue"));
      equal((stored.json as { values: { n: string } }).values.n, String(updates), "the stored counter");
      await eventually(
        `every replica counts ${updates}`,
        () => caches.every((c) => c.linkdefs.get(ref)?.values.n === String(updates)),
        session.poll(() => caches.map((c) => `${c.hostId}: ${c.linkdefs.get(ref)?.values.n}`).join(", ")),
      );
    });

    test("an update returning undefined writes nothing", async (session) => {
      const cache = await session.cache();
      const actor = "MUPDATENOOP";
      const ref = sampleLinkdefRef(actor);
      const key = wireLinkdefKey(actor, "wasmcloud:keyvalue");
      const put = await cache.linkdefs.put(sampleLinkdef(actor, { n: "1" }));
      const raw = await session.backdoor.readRaw(key);
      const head = (await session.head()).revision;
      const outcome = await cache.linkdefs.update(ref, () => undefined);
      deepStrictEqual(
        { written: outcome.written, revision: outcome.revision },
        { written: false, revision: put.revision },
      );
      deepStrictEqual(await session.backdoor.readRaw(key), raw, "the stored entry is unchanged");
      if (ordered) equal((await session.head()).revision, head, "no revision was taken");
    });

    test("update creates a missing key and deletes the key when it returns null", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      const actor = "MUPDATEDELETE";
      const ref = sampleLinkdefRef(actor);
      const key = wireLinkdefKey(actor, "wasmcloud:keyvalue");
      const created = await a.linkdefs.update(ref, (current) => {
        equal(current, undefined, "update of a missing key sees undefined");
        return sampleLinkdef(actor, { n: "1" });
      });
      equal(created.written, true);
      equal((await expectStoredLive(session.backdoor, key)).revision, created.revision);
      await eventually(
        "replica b has the created key",
        () => b.linkdefs.get(ref) !== undefined,
        session.poll(),
      );
      const deleted = await b.linkdefs.update(ref, () => null);
      deepStrictEqual(
        { written: deleted.written, value: deleted.value },
        { written: true, value: undefined },
      );
      const stored = await expectStoredDeleted(session.backdoor, key);
      if (stored) equal(stored.revision, deleted.revision);
      await eventually(
        "both replicas drop the key",
        () => a.linkdefs.get(ref) === undefined && b.linkdefs.get(ref) === undefined,
        session.poll(),
      );
    });
  },
};
