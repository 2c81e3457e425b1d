import { afterAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { freePort } from "./free-port.js";
import { startNatsServer } from "./nats-server.js";
import { waitFor } from "./wait-for.js";

describe("startNatsServer with leaf nodes", () => {
  afterAll(() => disposeAll());

  it("connects a leaf (remotes) to a hub (listenPort), visible in the hub's /leafz", async () => {
    const leafPort = await freePort();
    const hub = await startNatsServer({ serverName: "hub", leafnodes: { listenPort: leafPort } });
    expect(hub.leafnodePort).toBe(leafPort);
    const leaf = await startNatsServer({
      serverName: "leaf",
      jetstreamDomain: "leaf",
      leafnodes: { remotes: [`nats-leaf://127.0.0.1:${leafPort}`] },
    });
    const leafz = await waitFor(
      async () => {
        const body = await hub.monitor("/leafz");
        return body["leafnodes"] === 1 && body;
      },
      { what: "the hub to report one leaf node" },
    );
    expect(leafz["leafs"]).toHaveLength(1);
    expect(leaf.running).toBe(true);
  });

  it("picks a free leaf node port when listenPort is 0", async () => {
    const hub = await startNatsServer({ jetstream: false, leafnodes: { listenPort: 0 } });
    expect(hub.leafnodePort).toBeGreaterThan(0);
    const varz = await hub.varz();
    expect(varz["leaf"]).toMatchObject({ port: hub.leafnodePort });
  });
});
