import { existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { freePort } from "./free-port.js";
import { acceptsConnections, startManagedServer } from "./managed-server.js";
import { getJson, HTTP_SERVER_SOURCE } from "./managed-server.test-helpers.js";
import { redisCommand } from "./redis-client.js";
import { isAlive } from "./tcp.test-helpers.js";
import { listensOn } from "./tcp-probe.js";

/** The test HTTP server as a managed server: `node -e <source> <port> <dir>/greeting.txt`. */
function startHttpServer(options: { env?: Record<string, string | undefined>; ready?: RegExp } = {}) {
  return startManagedServer({
    name: "http-test-server",
    command: process.execPath,
    args: ({ port, dir }) => ["-e", HTTP_SERVER_SOURCE, String(port), join(dir, "greeting.txt")],
    prepare: ({ dir, port }) => writeFileSync(join(dir, "greeting.txt"), `written for port ${port}`),
    ready: options.ready ?? /listening on \d+/,
    scheme: "http",
    ...(options.env ? { env: options.env } : {}),
  });
}

describe("startManagedServer", () => {
  afterAll(() => disposeAll());

  it("starts a server on a free loopback port in its own dir, ready by a log line, with args, env and prepare", async () => {
    process.env.HARNESS_TEST_INHERITED = "yes";
    const server = await startHttpServer({ env: { GREETING: "hello", HARNESS_TEST_INHERITED: undefined } });
    const inheriting = await startHttpServer();
    delete process.env.HARNESS_TEST_INHERITED;
    expect(server.name).toBe("http-test-server");
    expect(server.host).toBe("127.0.0.1");
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.running).toBe(true);
    expect(existsSync(server.dir)).toBe(true);
    const answer = await getJson(server.url);
    expect(answer).toEqual({
      pid: server.pid,
      greeting: "hello",
      inherited: null,
      file: `written for port ${server.port}`,
    });
    expect(server.output).toContain(`listening on ${server.port}`);
    expect(await getJson(inheriting.url)).toMatchObject({ greeting: null, inherited: "yes" });
    expect(inheriting.port).not.toBe(server.port);
    await Promise.all([server.dispose(), inheriting.dispose()]);
  });

  it("stops, restarts on the same port, and disposes: no process, no dir left", async () => {
    const server = await startHttpServer();
    const { port, dir } = server;
    const firstPid = server.pid!;
    await server.stop();
    expect(server.running).toBe(false);
    expect(isAlive(firstPid)).toBe(false);
    expect(existsSync(dir)).toBe(true);
    expect(await acceptsConnections(port)).toBe(false);

    // The log line of the first start does not count as the second start being ready.
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(firstPid);
    expect((await getJson(server.url)).pid).toBe(server.pid);

    await server.kill("SIGKILL");
    expect(server.running).toBe(false);
    await server.restart();
    const lastPid = server.pid!;
    await server.dispose();
    expect(isAlive(lastPid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await server.dispose(); // idempotent
    await expect(server.restart()).rejects.toThrow(/has been disposed/);
  });

  it("waits for a probe: redis-server through the generic API, ready when PING answers PONG", async () => {
    const redis = await startManagedServer({
      name: "redis-generic",
      command: "redis-server",
      args: ({ port, dir }) => ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir],
      ready: async ({ port }) => (await redisCommand({ port, timeoutMs: 1_000 }, "PING")) === "PONG",
      scheme: "redis",
    });
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await redisCommand({ port: redis.port }, "SET", "k", "v")).toBe("OK");
    expect(await redisCommand({ port: redis.port }, "GET", "k")).toBe("v");
    const { pid, dir } = redis;
    await redis.dispose();
    expect(isAlive(pid!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it("is ready by default once its port accepts connections, and gets the extra ports it asks for", async () => {
    const server = await startManagedServer({
      name: "tcp-default-ready",
      command: process.execPath,
      extraPorts: ["second"],
      args: ({ extraPorts }) => ["-e", HTTP_SERVER_SOURCE, String(extraPorts.second)],
      // The server listens on the extra port only: a fixed port given here is the one the default waits for.
      ready: ({ extraPorts }) => acceptsConnections(extraPorts.second as number),
    });
    const second = server.extraPorts.second as number;
    expect(second).not.toBe(server.port);
    expect((await getJson(`http://127.0.0.1:${second}`)).pid).toBe(server.pid);
    await server.dispose();

    const viaDefault = await startManagedServer({
      name: "tcp-default-ready",
      command: process.execPath,
      args: ({ port }) => ["-e", HTTP_SERVER_SOURCE, String(port)],
    });
    expect(await acceptsConnections(viaDefault.port)).toBe(true);
    await viaDefault.dispose();
  });

  it("fails with the server's output when it exits during startup, and leaves no dir behind", async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      let dir: string | undefined;
      const failed = startManagedServer({
        name: "port-taken",
        command: process.execPath,
        port,
        args: (context) => {
          dir = context.dir;
          return ["-e", HTTP_SERVER_SOURCE, String(context.port)];
        },
      });
      await expect(failed).rejects.toThrow(
        /port-taken \(port \d+\) exited during startup \(code 3[\s\S]*EADDRINUSE/,
      );
      expect(dir && existsSync(dir)).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("kills a server that never becomes ready within startTimeoutMs", async () => {
    let pid: number | undefined;
    const never = startManagedServer({
      name: "never-ready",
      command: process.execPath,
      args: ["-e", "setInterval(() => {}, 1000)"],
      ready: (probe) => {
        pid = probe.pid;
        return false;
      },
      startTimeoutMs: 1_000,
    });
    await expect(never).rejects.toThrow(
      /timed out after 1000ms waiting for never-ready \(port \d+\) to become ready/,
    );
    expect(pid).toBeDefined();
    expect(isAlive(pid!)).toBe(false);
  });

  it("refuses a command it cannot run, before starting anything", async () => {
    await expect(startManagedServer({ name: "x", command: "no-such-server-binary" })).rejects.toThrow(
      /no-such-server-binary not found/,
    );
    await expect(startManagedServer({ name: "x", command: "./no/such/file" })).rejects.toThrow(
      /is not an executable file/,
    );
  });

  it("tells a port this process listens on from one another process answers on (listensOn)", async () => {
    const server = await startHttpServer();
    expect(listensOn(server.pid!, server.port)).toBe(true);
    expect(listensOn(process.pid, server.port)).toBe(false);
    const port = await freePort();
    expect(listensOn(server.pid!, port)).toBe(false);
    await server.dispose();
  });

  it("is disposed by disposeAll", async () => {
    const server = await startHttpServer();
    const { pid, dir } = server;
    await disposeAll();
    expect(isAlive(pid!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
