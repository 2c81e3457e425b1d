// Where the feed's consumer lives in a cluster. nats-server 2.9 puts an R1 consumer on a random peer of the
// stream; after a cluster incident a follower can stop following and consumers there deliver nothing. A
// feed's first consumer stays where the server put it (spreading load); every replacement asks for the
// stream leader: placed elsewhere, it is deleted and created again (up to 4 times).
import type { LatticeCache } from "@lattice-cache/core";
import { disposeAll, type NatsClusterHandle, startNatsCluster, waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
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
    const names: string[] = [];
    for await (const info of admin.jsm.consumers.list(layout.stream)) names.push(info.name);
    expect(names).not.toContain(retried.consumer);
    const after = placements(logger.lines).slice(placements(logger.lines).indexOf(retried) + 1);
    const settled = after.find((p) => !p.placedAgain)!;
    expect(names).toContain(settled.consumer);
    // On the leader — unless four more placements all missed it ((2/3)^4, and then it stays where it is).
    if (settled.node !== settled.streamLeader) expect(after.filter((p) => p.placedAgain).length).toBe(3);

    const { revision } = await cache.claims.put({ sub: "MPLACED", name: "placed" });
    await waitFor(() => cache.status().revision >= revision, { what: "the write through the new consumer" });
  }, 120_000);
});
