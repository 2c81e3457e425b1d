import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { type NatsClusterHandle, startNatsCluster } from "./nats-cluster.js";

describe("startNatsCluster", () => {
  let cluster: NatsClusterHandle;

  beforeAll(async () => {
    cluster = await startNatsCluster();
  });

  afterAll(() => disposeAll());

  it("starts three uniquely named, routed JetStream nodes", async () => {
    expect(cluster.servers.map((server) => server.serverName)).toEqual(["n1", "n2", "n3"]);
    expect(cluster.urls).toEqual(cluster.servers.map((server) => server.url));
    expect(new Set(cluster.urls).size).toBe(3);
    const jsz = await cluster.servers[0]!.jsz();
    expect(jsz["meta_cluster"]).toMatchObject({ cluster_size: 3 });
  });

  it("has elected a meta leader before resolving", async () => {
    const leader = await cluster.waitForMetaLeader();
    expect(["n1", "n2", "n3"]).toContain(leader);
    expect(cluster.serverByName(leader)?.running).toBe(true);
    expect(cluster.serverByName("nope")).toBeUndefined();
  });

  it("elects a new leader among the remaining nodes when the leader is killed", async () => {
    const leader = await cluster.waitForMetaLeader();
    await cluster.serverByName(leader)!.kill();
    const next = await cluster.waitForMetaLeader();
    expect(next).not.toBe(leader);
    expect(cluster.serverByName(next)?.running).toBe(true);
  });
});
