// Rule 9: lost history and stalled feeds are detected and healed by a resync or feed restart, with
// events for what changed — never ignored.
import { equal, ok } from "node:assert/strict";
import type { LatticeCache, LatticeChange } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { eventually } from "../eventually.js";
import { expectSameReplicas, replicaContents } from "../replica-contents.js";
import { sampleClaims, sampleLinkdef, sampleRefmap } from "../sample-values.js";
import type { StoreSession } from "../store-session.js";
import { expectReplicaMatchesStore } from "../stored-entries.js";
import { wireClaimsKey, wireLinkdefKey, wireRefmapKey } from "../wire-keys.js";

/** Retries a write while the backend recovers from the fault (e.g. a bucket being recreated). */
async function writeWhenPossible(
  session: StoreSession,
  what: string,
  write: () => Promise<unknown>,
): Promise<void> {
  await eventually(
    `${what} succeeds`,
    async () => {
      await write();
      return true;
    },
    session.poll(),
  );
}

function describeCaches(caches: readonly LatticeCache[]): string {
  return caches
    .map((c) => {
      const s = c.status();
      return `${c.hostId}: ${s.state} rev ${s.revision} resyncs ${s.counters.resyncs} restarts ${s.counters.feedRestarts}`;
    })
    .join(", ");
}

/** The rule-9 group (ordered backends whose backdoor can inject the faults). */
export const rule9GapsHealed: TestGroup = {
  title: "rule 9: gaps are healed",
  rule: 9,
  define({ test, features }) {
    if (!features.capabilities.ordered) return;

    if (features.backdoor.loseHistory) {
      test("after the store loses its history, replicas resync to what it holds and emit the changes", async (session) => {
        const [a, b] = await session.cacheGroup(2);
        const oldKeys: string[] = [];
        for (let i = 0; i < 4; i++) {
          oldKeys.push((await a.linkdefs.put(sampleLinkdef(`MOLDHISTORY${i}`))).key);
          oldKeys.push((await a.claims.put(sampleClaims(`MOLDHISTORY${i}`))).key);
        }
        await session.settle([a, b]);
        const events: LatticeChange[] = [];
        b.onChange((e) => events.push(e));
        const resyncsBefore = [a, b].map((c) => c.status().counters.resyncs);
        await session.backdoor.loseHistory!();
        await writeWhenPossible(session, "a write after the loss", () =>
          a.claims.put(sampleClaims("MNEWHISTORY", "after")),
        );
        await writeWhenPossible(session, "a second write after the loss", () =>
          a.refmaps.put(sampleRefmap("registry.example/new-history:1", "MNEW")),
        );
        const newKeys = [wireClaimsKey("MNEWHISTORY"), wireRefmapKey("registry.example/new-history:1")];
        await eventually(
          "both replicas resynced and hold exactly what the store holds",
          async () => {
            const caches = [a, b];
            if (caches.some((c, i) => c.status().counters.resyncs <= (resyncsBefore[i] ?? 0))) return false;
            if (caches.some((c) => c.status().state !== "live")) return false;
            for (const c of caches)
              await expectReplicaMatchesStore(c, session.backdoor, [...oldKeys, ...newKeys]);
            return true;
          },
          session.poll(() => describeCaches([a, b])),
        );
        const fresh = await session.cache();
        await session.settle([a, b, fresh]);
        expectSameReplicas([fresh, a, b], "after the resync, compared with a replica synced from scratch");
        equal(replicaContents(fresh).length, 2, "the store holds only the writes made after the loss");
        for (const key of oldKeys) {
          ok(
            events.some((e) => e.key === key && e.operation === "delete"),
            `a delete event for vanished ${key}`,
          );
        }
        for (const key of newKeys) {
          ok(
            events.some((e) => e.key === key && e.operation === "put"),
            `a put event for new ${key}`,
          );
        }
      });
    }

    if (features.backdoor.stallFeed) {
      test("a silently stalled feed is detected and restarted, and the replica catches up", async (session) => {
        const [writer, stalled] = await session.cacheGroup(2);
        await writer.linkdefs.put(sampleLinkdef("MBEFORESTALL"));
        await session.settle([writer, stalled]);
        const restartsBefore = stalled.status().counters.feedRestarts;
        await session.backdoor.stallFeed!(session.backendOf(stalled), true);
        try {
          for (let i = 0; i < 5; i++) await writer.claims.put(sampleClaims(`MDURINGSTALL${i}`));
          await eventually(
            "the stalled replica notices and restarts its feed",
            () => stalled.status().counters.feedRestarts > restartsBefore,
            session.poll(() => describeCaches([stalled])),
          );
        } finally {
          await session.backdoor.stallFeed!(session.backendOf(stalled), false);
        }
        await session.settle([writer, stalled]);
        expectSameReplicas([writer, stalled], "after the stalled feed was restarted");
        await expectReplicaMatchesStore(stalled, session.backdoor, [
          wireLinkdefKey("MBEFORESTALL", "wasmcloud:keyvalue"),
          ...Array.from({ length: 5 }, (_, i) => wireClaimsKey(`MDURINGSTALL${i}`)),
        ]);
        equal(stalled.status().state, "live");
      });
    }
  },
};
