// With no fault there is nothing to heal: ordinary writes, deletes and reads never make a replica resync —
// also while another store of the same target (another lattice on the same server) is written to. A backend
// that reports gaps where there are none (a contiguous-log reader over a store whose revision counter other
// data share, like etcd's cluster-wide revision) passes every test that looks only at what replicas end up
// holding, since each resync heals it; counting the resyncs shows it.
// Rules cited here: docs/semantics.md#rule-9.
import { AssertionError, equal } from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { LatticeCache } from "@lattice-cache/core";
import { PROVE_WITHIN_MS } from "@lattice-cache/core/backend";
import type { TestGroup } from "../conformance-test.js";
import { eventually } from "../eventually.js";
import { replicaValues } from "../replica-contents.js";
import { sampleClaims, sampleLinkdef, sampleLinkdefRef, sampleRefmap } from "../sample-values.js";
import { StoreSession } from "../store-session.js";

/** Rounds of writes: each round writes all three collections on this store and one change on the neighbour. */
const ROUNDS = 12;

function countersOf(caches: readonly LatticeCache[]): string {
  return caches
    .map((c) => {
      const s = c.status();
      return `${c.hostId}: ${s.state} rev ${s.revision} resyncs ${s.counters.resyncs} restarts ${s.counters.feedRestarts} last error ${JSON.stringify(s.lastError)}`;
    })
    .join("; ");
}

/** The group: every backend, whatever it declares. */
export const noFaultNoResync: TestGroup = {
  title: "no fault, no resync",
  define({ test, target, features, options }) {
    const { ordered, compareAndSwap } = features.capabilities;

    test("ordinary writes, deletes and reads resync no replica, also while another store of the target is written to", async (session) => {
      const [a, b] = await session.cacheGroup(2);
      // Another lattice on the same server, written between this one's writes: on a store whose revisions
      // the two share, this lattice's revisions jump.
      const neighbour = await StoreSession.open(target, options);
      try {
        const other = await neighbour.cache();
        for (let i = 0; i < ROUNDS; i++) {
          await a.claims.put(sampleClaims(`MQUIET${i}`, `a${i}`));
          await other.claims.put(sampleClaims(`MNEIGHBOUR${i}`));
          await b.linkdefs.put(sampleLinkdef(`MQUIET${i}`, { round: String(i) }));
          await other.linkdefs.put(sampleLinkdef(`MNEIGHBOUR${i}`));
          await a.refmaps.put(sampleRefmap(`registry.example/quiet:${i}`, `MQUIET${i}`));
          if (i % 3 === 2) await a.linkdefs.delete(sampleLinkdefRef(`MQUIET${i - 1}`));
          if (compareAndSwap && i % 4 === 3) {
            await b.claims.update(`MQUIET${i - 1}`, (current) => ({
              ...sampleClaims(`MQUIET${i - 1}`),
              name: `${current?.name ?? "none"}+b`,
            }));
          }
          // Reads, from the replica: what each host serves is its own business, not the store's.
          a.claims.get(`MQUIET${i}`);
          b.linkdefs.list();
        }
        if (ordered) await session.settle([a, b]);
        await eventually(
          "both replicas hold the same values",
          () => JSON.stringify(replicaValues(a)) === JSON.stringify(replicaValues(b)),
          session.poll(() => countersOf([a, b])),
        );
        equal(replicaValues(a).length, ROUNDS * 3 - Math.floor(ROUNDS / 3), "every write and delete arrived");
        // Quiet, so what comes after the writes shows too: the feed's proof of what it delivered (due within
        // PROVE_WITHIN_MS) and the replicas' idle head checks.
        await sleep(Math.max(PROVE_WITHIN_MS, 2 * options.timing.idleCheckIntervalMs) + 500);
        for (const cache of [a, b]) {
          const { counters, lastError } = cache.status();
          if (counters.resyncs !== 0) {
            throw new AssertionError({
              message:
                `${cache.hostId} resynced ${counters.resyncs} ${counters.resyncs === 1 ? "time" : "times"} with no fault: ${lastError ?? "no reason recorded"} ` +
                `(a resync is for a lost or rewritten history, never for ordinary writes: does the feed take a jump in revisions for a gap? ` +
                `core's followLog takes revisions: "increasing" for a store whose revisions are not contiguous) — ${countersOf([a, b])}`,
            });
          }
        }
        // Feed restarts are not counted: a restart answers a feed that looked stalled, which a busy machine can
        // cause now and then; a resync is never caused by load.
      } finally {
        await neighbour.close();
      }
    });
  },
};
