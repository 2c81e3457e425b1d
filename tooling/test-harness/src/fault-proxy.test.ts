import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { type FaultProxyHandle, startFaultProxy } from "./fault-proxy.js";
import { RawClient, startEchoServer } from "./tcp.test-helpers.js";
import { waitFor } from "./wait-for.js";

describe("startFaultProxy", () => {
  let echo: Awaited<ReturnType<typeof startEchoServer>>;
  let proxy: FaultProxyHandle;
  const clients: RawClient[] = [];

  async function connect(): Promise<RawClient> {
    const client = await RawClient.connect(proxy.port);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    echo = await startEchoServer();
    proxy = await startFaultProxy({ target: { port: echo.port } });
  });

  afterAll(async () => {
    for (const client of clients) {
      client.close();
    }
    await disposeAll();
    await echo.close();
  });

  it("listens on loopback and builds URLs for any scheme", () => {
    expect(proxy.url()).toBe(`tcp://127.0.0.1:${proxy.port}`);
    expect(proxy.url("nats")).toBe(`nats://127.0.0.1:${proxy.port}`);
    expect(proxy.mode).toBe("pass");
  });

  it("forwards bytes both ways in pass mode", async () => {
    const client = await connect();
    client.write("hello");
    expect(await client.receives("hello", 10_000)).toBe(true);
    expect(proxy.connections()).toBeGreaterThanOrEqual(1);
  });

  it("silently swallows bytes in blackhole mode while keeping connections open", async () => {
    const existing = await connect();
    existing.write("before");
    expect(await existing.receives("before", 10_000)).toBe(true);

    proxy.setMode("blackhole");
    expect(proxy.mode).toBe("blackhole");
    existing.write("lost");
    const fresh = await connect();
    fresh.write("also lost");
    expect(await existing.receives("lost", 500)).toBe(false);
    expect(await fresh.receives("also lost", 500)).toBe(false);
    expect(existing.closed).toBe(false);
    expect(fresh.closed).toBe(false);
  });

  it("forwards again on new connections once back in pass mode", async () => {
    proxy.setMode("pass");
    const client = await connect();
    client.write("healed");
    expect(await client.receives("healed", 10_000)).toBe(true);
  });

  it("closes existing connections and refuses new ones in drop mode", async () => {
    const existing = await connect();
    existing.write("ping");
    expect(await existing.receives("ping", 10_000)).toBe(true);

    proxy.setMode("drop");
    expect(await existing.until((client) => client.closed, 10_000)).toBe(true);
    const refused = await connect();
    expect(await refused.until((client) => client.closed, 10_000)).toBe(true);
    await waitFor(() => proxy.connections() === 0, { what: "all proxied connections to close" });

    proxy.setMode("pass");
    const after = await connect();
    after.write("back");
    expect(await after.receives("back", 10_000)).toBe(true);
  });

  it("stops listening on close", async () => {
    const other = await startFaultProxy({ target: { port: echo.port } });
    await other.close();
    await expect(RawClient.connect(other.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
