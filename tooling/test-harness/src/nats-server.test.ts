import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { type NatsServerHandle, startNatsServer } from "./nats-server.js";
import { isAlive, natsRequest, RawClient } from "./tcp.test-helpers.js";

describe("startNatsServer", () => {
  let nats: NatsServerHandle;

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterAll(() => disposeAll());

  it("serves clients on a loopback URL with a free, non-default port", () => {
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    expect(nats.port).not.toBe(4222);
    expect(nats.monitorPort).toBeDefined();
    expect(nats.monitorPort).not.toBe(8222);
    expect(nats.running).toBe(true);
    expect(nats.pid).toBeGreaterThan(0);
  });

  it("runs with JetStream enabled, its store inside the server's own temp dir", async () => {
    const varz = await nats.varz();
    expect(varz["server_name"]).toBe(nats.serverName);
    expect(varz["jetstream"]).toMatchObject({ config: { max_memory: 256 * 1024 * 1024 } });
    const jsz = await nats.jsz();
    expect(String((jsz["config"] as Record<string, unknown>)["store_dir"])).toContain(nats.storeDir);
    expect(nats.storeDir.startsWith(nats.dir)).toBe(true);
  });

  it("writes its config and log files into its temp dir", async () => {
    const config = await readFile(nats.configPath, "utf8");
    expect(config).toContain(`listen: "127.0.0.1:${nats.port}"`);
    expect(await readFile(nats.logPath, "utf8")).toContain("Server is ready");
  });

  it("greets a raw TCP client with an INFO line", async () => {
    const client = await RawClient.connect(nats.port);
    try {
      expect(await client.receives("INFO {", 10_000)).toBe(true);
      expect(client.received).toContain(`"server_name":"${nats.serverName}"`);
    } finally {
      client.close();
    }
  });

  it("keeps its port and JetStream store when killed with SIGKILL and restarted", async () => {
    const created = JSON.parse(
      await natsRequest(
        nats.port,
        "$JS.API.STREAM.CREATE.ORDERS",
        JSON.stringify({ name: "ORDERS", subjects: ["orders.>"], storage: "file" }),
      ),
    ) as Record<string, unknown>;
    expect(created["error"]).toBeUndefined();
    await writeFile(join(nats.storeDir, "marker.txt"), "still here");
    const { port, pid } = nats;

    await nats.kill();
    expect(nats.running).toBe(false);
    expect(nats.pid).toBeUndefined();
    expect(isAlive(pid!)).toBe(false);

    await nats.restart();
    expect(nats.running).toBe(true);
    expect(nats.pid).not.toBe(pid);
    expect(nats.port).toBe(port);
    expect(await readFile(join(nats.storeDir, "marker.txt"), "utf8")).toBe("still here");
    expect((await nats.jsz())["streams"]).toBe(1);
  });

  it("stops answering while paused and answers again after resume", async () => {
    nats.pause();
    const client = await RawClient.connect(nats.port); // the kernel still completes the handshake
    try {
      expect(await client.receives("INFO {", 1_000)).toBe(false);
      nats.resume();
      expect(await client.receives("INFO {", 15_000)).toBe(true);
    } finally {
      nats.resume();
      client.close();
    }
  });

  it("appends raw configuration such as an authorization block", async () => {
    const secured = await startNatsServer({ jetstream: false, config: "authorization { token: s3cret }" });
    const client = await RawClient.connect(secured.port);
    try {
      expect(await client.receives("INFO {", 10_000)).toBe(true);
      expect(client.received).toContain('"auth_required":true');
    } finally {
      client.close();
      await secured.dispose();
    }
  });

  it("kills the process and removes its temp dir on dispose", async () => {
    const plain = await startNatsServer({ jetstream: false, httpMonitoring: false, logFile: false });
    expect(plain.monitorPort).toBeUndefined();
    expect(plain.logPath).toBe("");
    const { pid, dir } = plain;
    await plain.dispose();
    expect(plain.running).toBe(false);
    expect(isAlive(pid!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(plain.restart()).rejects.toThrow(/disposed/);
  });

  it("fails with the server's complaint when a requested port is taken by someone else", async () => {
    const impostor = createServer((socket) => socket.end('INFO {"server_name":"impostor"}\r\n'));
    await new Promise<void>((resolve) => impostor.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const { port } = impostor.address() as AddressInfo;
    try {
      await expect(startNatsServer({ port, jetstream: false })).rejects.toThrow(/address already in use/);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it("reports the server's own complaint when it cannot start", async () => {
    await expect(startNatsServer({ jetstream: false, config: "listen: {{{ not valid" })).rejects.toThrow(
      /nats-server .* exited during startup \(code 1[\s\S]*Parse error/,
    );
  });
});
