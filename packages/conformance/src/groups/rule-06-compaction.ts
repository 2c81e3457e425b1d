// Rule 6, bounded: replicas drop tombstones older than the retention, and a backend that can compact removes
// the delete markers older than a cutoff from its store — only those, one host at a time — without a
// compacted key ever coming back: on a live replica, on a fresh one, or on one that was away across the
// compaction. Deadlines here are the retention the caches are opened with: the tests poll for conditions
// and wait only for markers to age past it.
// Rules cited here: docs/semantics.md#rule-6, #rule-9.
import { deepEqual, equal, ok } from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type CompactionOutcome,
  type CompactionReport,
  compactLattice,
  type LatticeCache,
} from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { eventually } from "../eventually.js";
import { expectErrorCode } from "../expect-error.js";
import { type KeySlot, slotOf } from "../sample-values.js";
import type { StoreSession } from "../store-session.js";
import { expectStoredDeleted, expectStoredLive } from "../stored-entries.js";

/** The tombstone retention of the caches these tests open, and the age at which markers are compacted. */
const RETENTION_MS = 2_000;

/** Resolves once `ms` have passed since `since` (by this machine's clock, which the store's shares). */
async function passed(since: number, ms: number): Promise<void> {
  const left = since + ms - Date.now();
  if (left > 0) await sleep(left);
}

/** The report of a compaction that ran; fails the test when it did not. */
function ran(outcome: CompactionOutcome): CompactionReport {
  ok(outcome.status === "compacted", `the compaction ran (got ${JSON.stringify(outcome)})`);
  return outcome.report;
}

const keysOf = (report: CompactionReport) => report.removed.map((r) => r.key).sort();

/** A compaction through a connection of its own, as `lattice compact` or another host would run it. */
/** How late a compaction may take its own "now" after the test computed its span, and still cut off in time. */
const CUTOFF_SLACK_MS = 1_500;

async function compact(
  session: StoreSession,
  olderThanMs: number,
  options: { dryRun?: boolean; hostId?: string; backend?: LatticeBackend; minIntervalMs?: number } = {},
): Promise<CompactionOutcome> {
  const backend = options.backend ?? (await session.rawBackend());
  return compactLattice(backend, {
    olderThanMs,
    dryRun: options.dryRun ?? false,
    hostId: options.hostId ?? "conformance-compactor",
    ...(options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs }),
  });
}

/** The rule-6 compaction group. */
export const rule6Compaction: TestGroup = {
  title: "rule 6: tombstone retention and compaction",
  rule: 6,
  define({ test, features }) {
    const deletable = demandedDeletes(features.capabilities);
    const slot = (tag: string): KeySlot =>
      deletable.includes("claims") ? slotOf.claims(`M${tag}`) : slotOf.linkdef(`M${tag}`);

    test("replicas drop tombstones older than the retention; the key stays deleted", async (session) => {
      const cache = await session.cache({ tombstoneRetentionMs: RETENTION_MS });
      const gone = slot("PRUNED");
      await gone.put(cache, 1);
      await gone.remove(cache);
      equal(cache.status().tombstones, 1, "the replica holds the tombstone");
      const digest = cache.status().digest;
      await eventually(
        `the replica drops ${gone.key}'s tombstone once it is older than ${RETENTION_MS} ms`,
        () => cache.status().tombstones === 0,
        { timeoutMs: session.options.waitTimeoutMs + RETENTION_MS, intervalMs: 50 },
      );
      equal(gone.entry(cache), undefined, "the key stays deleted");
      equal(cache.status().digest, digest, "pruning changes nothing readable");
    });

    if (!features.compaction) {
      test("compactLattice refuses a backend that cannot compact with UNSUPPORTED, and writes nothing", async (session) => {
        const backend = await session.rawBackend();
        const before = features.capabilities.ordered ? (await session.head()).revision : undefined;
        await expectErrorCode(
          "compactLattice",
          () => compactLattice(backend, { olderThanMs: RETENTION_MS, hostId: "conformance" }),
          "UNSUPPORTED",
        );
        if (before !== undefined) equal((await session.head()).revision, before, "nothing was written");
      });
      return;
    }

    test("compaction removes only markers older than the cutoff — never a live key, a young marker or a key written again; a dry run reports the same and removes nothing", async (session) => {
      const writer = await session.cache();
      const [old, again, live, young] = ["OLD", "AGAIN", "LIVE", "YOUNG"].map(slot) as [
        KeySlot,
        KeySlot,
        KeySlot,
        KeySlot,
      ];
      await old.put(writer, 1);
      const oldDelete = await old.remove(writer);
      await again.put(writer, 1);
      await again.remove(writer);
      await again.put(writer, 2);
      await live.put(writer, 1);
      const boundary = Date.now();
      // The young marker comes well after the cutoff: each run asks for markers older than a span computed
      // here, and the backend takes its own "now" a moment later (a lease round trip, a busy machine), which
      // moves the cutoff later by that moment — never before the old markers, and not past the young one
      // unless it took longer than this slack.
      await passed(boundary, 50 + CUTOFF_SLACK_MS);
      await young.put(writer, 1);
      await young.remove(writer);
      // Every run cuts off at (about) the same instant, between the old markers and the young one.
      const cutoff = boundary + 50;

      const dry = ran(await compact(session, Date.now() - cutoff, { dryRun: true }));
      ok(dry.dryRun, "the report says dry run");
      deepEqual(keysOf(dry), [old.key], "a dry run reports exactly the old marker");
      await expectStoredDeleted(session.backdoor, old.key);

      const report = ran(await compact(session, Date.now() - cutoff));
      deepEqual(keysOf(report), keysOf(dry), "the real run removes what the dry run reported");
      equal(report.removed[0]?.revision, oldDelete.revision, "with the delete's revision");
      ok(
        Date.parse(report.removed[0]?.deletedAt ?? "") < Date.parse(report.cutoff),
        "deleted before the cutoff",
      );
      equal(await session.backdoor.readRaw(old.key), undefined, "the old marker is gone from the store");
      await expectStoredLive(session.backdoor, again.key);
      await expectStoredLive(session.backdoor, live.key);
      await expectStoredDeleted(session.backdoor, young.key);
      deepEqual(keysOf(ran(await compact(session, Date.now() - cutoff))), [], "a second run finds nothing");
    });

    test("a compacted key never comes back: not on a live replica, a fresh one, or one away across the compaction", async (session) => {
      const retained = { tombstoneRetentionMs: RETENTION_MS };
      const live = await session.cache(retained);
      const away = await session.cache(retained);
      const gone = slot("COMPACTED");
      const later = slot("LATER");
      await gone.put(live, 1);
      await session.settle([live, away]);
      const liveResyncs = live.status().counters.resyncs;
      const events: string[] = [];
      live.onChange((e) => events.push(`${e.operation} ${e.key}`));

      const cut = features.backdoor.interruptFeed;
      if (cut) await session.backdoor.interruptFeed!(session.backendOf(away), true);
      await gone.remove(live);
      const deletedAt = Date.now();
      await passed(deletedAt, RETENTION_MS + 100);
      const report = ran(await compact(session, RETENTION_MS));
      deepEqual(keysOf(report), [gone.key], "the compaction removed the aged marker");
      equal(await session.backdoor.readRaw(gone.key), undefined);
      await later.put(live, 1);
      if (cut) await session.backdoor.interruptFeed!(session.backendOf(away), false);

      const fresh = await session.cache(retained);
      await session.settle([live, away, fresh]);
      for (const cache of [live, away, fresh] as LatticeCache[]) {
        equal(gone.entry(cache), undefined, `${cache.hostId} does not serve the compacted key`);
        equal(later.counter(cache), 1, `${cache.hostId} serves the later write`);
      }
      deepEqual(
        events.filter((e) => e.endsWith(gone.key)),
        [`delete ${gone.key}`],
        "the live replica saw the delete once, and nothing after it",
      );
      equal(live.status().counters.resyncs, liveResyncs, "a live replica is not disturbed by a compaction");
      equal(away.status().digest, live.status().digest, "the replica that was away agrees");
      equal(fresh.status().digest, live.status().digest, "a fresh replica agrees");
    });

    test("one host at a time: of two concurrent compactions one runs, the other reports the holder", async (session) => {
      const writer = await session.cache();
      const gone = slot("LEASED");
      await gone.put(writer, 1);
      await gone.remove(writer);
      await passed(Date.now(), 20);
      const [a, b] = await Promise.all([session.rawBackend(), session.rawBackend()]);
      // With an hour between runs, the second is refused whether it overlaps the first ("held") or comes
      // right after it ("not-due"): the first may finish on a small store before the second reads the lease.
      const outcomes = await Promise.all([
        compact(session, 10, { backend: a, hostId: "compactor-a", minIntervalMs: 3_600_000 }),
        compact(session, 10, { backend: b, hostId: "compactor-b", minIntervalMs: 3_600_000 }),
      ]);
      const statuses = outcomes.map((o) => o.status).sort();
      ok(
        statuses[0] === "compacted" && (statuses[1] === "held" || statuses[1] === "not-due"),
        `one compacts, the other is refused (got ${statuses.join(", ")})`,
      );
      const winner = outcomes[0]?.status === "compacted" ? "compactor-a" : "compactor-b";
      const held = outcomes.find((o) => o.status === "held");
      if (held?.status === "held") equal(held.holder, winner, "the other reports who holds the lease");
      equal(await session.backdoor.readRaw(gone.key), undefined, "the marker was removed once");
    });
  },
};
