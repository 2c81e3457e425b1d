// Rule 10: while the store is unreachable — a dropped connection or a silent one — reads keep answering and
// the state says stale; writes fail fast with BackendUnavailableError and are not queued; after reconnection
// replicas catch up by themselves.
// Rules cited here: docs/semantics.md#rule-10.
import { equal, ok } from "node:assert/strict";
import type { LatticeCache } from "@lattice-cache/core";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { eventually } from "../eventually.js";
import { expectErrorCode } from "../expect-error.js";
import { type KeySlot, sampleClaims, sampleRefmap, slotOf } from "../sample-values.js";
import type { StoreSession } from "../store-session.js";
import { wireClaimsKey } from "../wire-keys.js";

/** How fast a write must fail while partitioned: "fail fast", but this machine is busy and shared. */
const WRITE_FAILS_WITHIN_MS = 15_000;

function states(caches: readonly LatticeCache[]): string {
  return caches
    .map((c) => `${c.hostId}: ${c.status().state} (${c.status().lastError ?? "no error"})`)
    .join(", ");
}

/**
 * The rule-10 scenario for one kind of partition: `partition()` cuts every connection off, the backdoor's
 * `reconnect()` heals it. `kept` is a key both replicas hold, whose delete fails during the partition.
 */
async function partitionedThenHealed(
  session: StoreSession,
  partition: () => Promise<void>,
  kept: KeySlot,
  ordered: boolean,
): Promise<void> {
  const [a, b] = await session.cacheGroup(2);
  await kept.put(a, 1);
  await eventually("b has the write", () => kept.entry(b) !== undefined, session.poll());
  let healed = false;
  await partition();
  try {
    await eventually(
      "both replicas report stale",
      () => [a, b].every((c) => c.status().state === "stale"),
      session.poll(() => states([a, b])),
    );
    const status = a.status();
    ok(
      status.staleSince !== undefined && !Number.isNaN(Date.parse(status.staleSince)),
      "staleSince is an ISO time",
    );
    equal(kept.counter(a), 1, "reads keep answering from the replica");
    equal(b[kept.collection].list().length, 1, "lists keep answering from the replica");
    await expectErrorCode(
      "a put while partitioned",
      () => a.claims.put(sampleClaims("MDURINGPARTITION", "lost")),
      "BACKEND_UNAVAILABLE",
      WRITE_FAILS_WITHIN_MS,
    );
    await expectErrorCode(
      "a delete while partitioned",
      () => kept.remove(b),
      "BACKEND_UNAVAILABLE",
      WRITE_FAILS_WITHIN_MS,
    );
    await session.backdoor.reconnect!();
    healed = true;
  } finally {
    if (!healed) await session.backdoor.reconnect!();
  }
  await eventually(
    "both replicas are live again",
    () => [a, b].every((c) => c.status().state === "live"),
    session.poll(() => states([a, b])),
  );
  // Each host writes once more: a connection that buffered the refused writes would flush them first
  // (FIFO), so they would be in the store by the time these are acknowledged.
  await eventually(
    "both hosts can write again",
    async () => {
      await a.claims.put(sampleClaims("MAFTERPARTITION", "from-a"));
      await b.refmaps.put(sampleRefmap("registry.example/after-partition:1", "MAFTER"));
      return true;
    },
    session.poll(),
  );
  // Catch-up by itself: no one restarts anything.
  await eventually(
    "each host catches up with the other's write",
    () =>
      a.refmaps.get("registry.example/after-partition:1")?.public_key === "MAFTER" &&
      b.claims.get("MAFTERPARTITION")?.name === "from-a",
    session.poll(() => states([a, b])),
  );
  if (ordered) await session.settle([a, b]);
  equal(
    await session.backdoor.readRaw(wireClaimsKey("MDURINGPARTITION")),
    undefined,
    "a write refused during the partition must not be stored later (no silent queueing)",
  );
  equal(kept.counter(a), 1, "a delete refused during the partition must not be applied later");
}

/** The rule-10 group (stores whose backdoor can partition them). */
export const rule10Availability: TestGroup = {
  title: "rule 10: availability",
  rule: 10,
  define({ test, features }) {
    const { ordered } = features.capabilities;
    // The partitioned delete must fail for being partitioned, not for deleting what the backend never can:
    // claims where the backend must delete them, a link definition on a broadcast.
    const kept = demandedDeletes(features.capabilities).includes("claims")
      ? slotOf.claims("MBEFOREPARTITION")
      : slotOf.linkdef("MBEFOREPARTITION");

    if (features.backdoor.disconnect) {
      test("partitioned: reads answer, state is stale, writes fail fast; healed: replicas catch up", (session) =>
        partitionedThenHealed(session, () => session.backdoor.disconnect!(), kept, ordered));
    }

    // Nothing fails by itself in a blackhole: no reset, no error, just silence. Only the client's own
    // deadlines can notice it, so writes must time out as BACKEND_UNAVAILABLE and the replica go stale.
    if (features.backdoor.blackhole) {
      test("a silent partition (blackhole): writes fail fast with BACKEND_UNAVAILABLE, reads keep serving, the replica reports stale, and heals after reconnect()", (session) =>
        partitionedThenHealed(session, () => session.backdoor.blackhole!(), kept, ordered));
    }
  },
};
