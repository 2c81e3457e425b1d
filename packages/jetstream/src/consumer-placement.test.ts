// Where the feed's consumer lives in a cluster. nats-server 2.9 puts an R1 consumer on a random peer of the
// stream; after a cluster incident a follower can stop following and consumers there deliver nothing. A
// feed's first consumer stays where the server put it (spreading load); every replacement asks for the
// stream leader: placed elsewhere, it is deleted and created again (up to 4 times). And when the stream leader
// moves, each feed audits its delivered history once (history-audit.ts), at most once per 10 s.
import type { LatticeCache } from "@lattice-cache/core";
import { disposeAll, type NatsClusterHandle, startNatsCluster, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { AUDIT_INTERVAL_MS } from "./history-audit.js";
import {
  type LogLine,
  openCache,
  type RawClient,
  rawClient,
  recordingLogger,
  uniquePrefix,
} from "./nats-fixtures.test-helpers.js";

let cluster: NatsClusterHandle;
let admin: RawClient;
const caches: LatticeCache[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster({ size: 3 });
  admin = await rawClient(cluster.urls);
});

afterAll(async () => {
  await Promise.allSettled(caches.map((cache) => cache.close()));
  await admin?.close();
  await disposeAll();
});

interface Placement {
  readonly consumer: string;
  readonly node: string;
  readonly streamLeader: string;
  readonly placedAgain: boolean;
}

const placements = (lines: readonly LogLine[]): Placement[] =>
  lines.filter((line) => line.msg === "feed consumer placed").map((line) => line.obj as Placement);

describe("the feed consumer's placement in an R3 cluster", () => {
  it("replacement consumers placed off the stream leader are placed again; the first one stays put", async () => {
    const prefix = uniquePrefix("place");
    const layout = new BucketLayout(prefix);
    const logger = recordingLogger();
    const { cache } = await openCache(
      { servers: cluster.urls, prefix, hostId: "host", bucket: { replicas: 3 }, heartbeatMs: 500, logger },
      { hostId: "host" },
    );
    caches.push(cache);
    const [first] = placements(logger.lines);
    expect(first?.placedAgain).toBe(false);

    // Take the consumer away until a replacement lands off the leader (two peers in three: soon).
    for (let round = 0; !placements(logger.lines).some((p) => p.placedAgain); round++) {
      expect(round, "rounds until a replacement landed off the stream leader").toBeLessThan(30);
      const seen = placements(logger.lines).length;
      const current = placements(logger.lines).at(-1)!.consumer;
      await admin.jsm.consumers.delete(layout.stream, current).catch(() => {});
      await waitFor(() => placements(logger.lines).length > seen, {
        what: "a replacement consumer",
        timeoutMs: 20_000,
      });
    }
    const retried = placements(logger.lines).find((p) => p.placedAgain)!;
    expect(retried.node).not.toBe(retried.streamLeader);
    await waitFor(() => cache.status().state === "live", { what: "the host live again", timeoutMs: 20_000 });

    // The retried consumer was deleted; the one that replaced it is the feed's consumer now.
    // The host can be live again before that replacement is logged, and the cluster lists it a little
    // later: wait for both.
    const afterRetried = () => placements(logger.lines).slice(placements(logger.lines).indexOf(retried) + 1);
    const settled = await waitFor(() => afterRetried().find((p) => !p.placedAgain), {
      what: "the replacement that stays",
      timeoutMs: 20_000,
    });
    const names = await waitFor(
      async () => {
        const listed: string[] = [];
        for await (const info of admin.jsm.consumers.list(layout.stream)) listed.push(info.name);
        return listed.includes(settled.consumer) ? listed : undefined;
      },
      { what: "the replacement listed on the stream", timeoutMs: 20_000 },
    );
    expect(names).not.toContain(retried.consumer);
    const after = afterRetried();
    // On the leader — unless four more placements all missed it ((2/3)^4, and then it stays where it is).
    if (settled.node !== settled.streamLeader) expect(after.filter((p) => p.placedAgain).length).toBe(3);

    const { revision } = await cache.claims.put({ sub: "MPLACED", name: "placed" });
    await waitFor(() => cache.status().revision >= revision, { what: "the write through the new consumer" });
  }, 120_000);
});

/** Asks the stream's leader to step down; resolves with the old and the new leader. */
async function stepDown(stream: string): Promise<{ from: string; to: string }> {
  const leaderNow = async () =>
    (await admin.jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader;
  const from = await waitFor(leaderNow, { what: "the stream leader", timeoutMs: 20_000 });
  await admin.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 });
  const to = await waitFor(
    async () => {
      const leader = await leaderNow();
      return leader !== undefined && leader !== from ? leader : undefined;
    },
    { what: "a new stream leader", timeoutMs: 20_000 },
  );
  return { from, to };
}

describe("history audits when the stream leader moves", () => {
  it("the feed replays its proof once per leader change, at most once per interval; a change within it is audited once it passed", async () => {
    const prefix = uniquePrefix("audit");
    const layout = new BucketLayout(prefix);
    const logger = recordingLogger();
    const { cache } = await openCache(
      { servers: cluster.urls, prefix, hostId: "auditor", bucket: { replicas: 3 }, heartbeatMs: 500, logger },
      { hostId: "auditor" },
    );
    caches.push(cache);
    // Something delivered: a history to prove.
    const { revision } = await cache.claims.put({ sub: "MAUDIT", name: "before" });
    const audits = () =>
      logger.lines.filter(
        (line) =>
          line.msg === "restarting the watch" &&
          /checking the delivered history/.test(String((line.obj as { reason?: unknown }).reason)),
      );

    await stepDown(layout.stream);
    await waitFor(() => audits().length === 1, { what: "the first audit", timeoutMs: 20_000 });
    const firstAudit = audits()[0] as LogLine;
    expect((firstAudit.obj as { reason: string }).reason).toMatch(/^stream leader changed \(\S+ → \S+\)/);
    expect((firstAudit.obj as { position: number }).position).toBeGreaterThanOrEqual(revision);
    await waitFor(() => cache.status().state === "live", { what: "live after the audit", timeoutMs: 20_000 });

    // The leader moves again at once: due, but held back until the interval since the first audit passed.
    await stepDown(layout.stream);
    await waitFor(() => audits().length === 2, {
      what: "the second audit, after the interval",
      timeoutMs: AUDIT_INTERVAL_MS + 20_000,
    });
    const secondAudit = audits()[1] as LogLine;
    expect(secondAudit.at - firstAudit.at).toBeGreaterThanOrEqual(AUDIT_INTERVAL_MS - 50);

    // Audits prove the same history: no resync, and the feed goes on.
    expect(cache.status().counters.resyncs).toBe(0);
    const after = await cache.claims.put({ sub: "MAUDIT", name: "after" });
    await waitFor(() => cache.status().revision >= after.revision, { what: "a write after the audits" });
    expect(audits()).toHaveLength(2);
  }, 120_000);
});
