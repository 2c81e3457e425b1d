import { afterAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { parseClusterInfo, startRedisCluster } from "./redis-cluster.js";

describe("startRedisCluster", () => {
  afterAll(() => disposeAll());

  it("forms a healthy cluster of three masters covering all slots", async () => {
    const cluster = await startRedisCluster();
    expect(cluster.nodes).toHaveLength(3);
    expect(new Set(cluster.urls).size).toBe(3);
    for (const node of cluster.nodes) {
      const info = parseClusterInfo(await node.command("CLUSTER", "INFO"));
      expect(info["cluster_state"]).toBe("ok");
      expect(info["cluster_slots_assigned"]).toBe("16384");
      expect(info["cluster_size"]).toBe("3");
    }
    const nodes = (await cluster.nodes[0]!.command("CLUSTER", "NODES")).trim().split("\n");
    expect(nodes.filter((line) => line.includes("master"))).toHaveLength(3);
    // a key lands on exactly one node; the others redirect
    const replies = await Promise.allSettled(
      cluster.nodes.map((node) => node.command("SET", "some-key", "v")),
    );
    expect(replies.filter((reply) => reply.status === "fulfilled")).toHaveLength(1);
    expect(
      replies.filter((reply) => reply.status === "rejected").map((reply) => String(reply.reason)),
    ).toEqual([expect.stringMatching(/MOVED/), expect.stringMatching(/MOVED/)]);
    await cluster.dispose();
  });
});
