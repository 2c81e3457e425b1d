import { afterAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { redisCommand } from "./redis-client.js";
import { startRedisServer } from "./redis-server.js";
import { isAlive } from "./tcp.test-helpers.js";

describe("startRedisServer", () => {
  afterAll(() => disposeAll());

  it("answers PING and SET/GET through command()", async () => {
    const redis = await startRedisServer();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.host).toBe("127.0.0.1");
    expect(redis.port).not.toBe(6379);
    expect(await redis.command("PING")).toBe("PONG");
    expect(await redis.command("SET", "greeting", "hello")).toBe("OK");
    expect(await redis.command("GET", "greeting")).toBe("hello");
    expect(await redis.command("INCR", "counter")).toBe("1");
    expect(await redis.command("GET", "missing")).toBe("(nil)");
    await redis.command("RPUSH", "list", "a", "b");
    expect(await redis.command("LRANGE", "list", "0", "-1")).toBe('["a","b"]');
    await expect(redis.command("NOSUCHCOMMAND")).rejects.toThrow(/unknown command/);
    await redis.dispose();
  });

  it("loses its data across a restart without appendonly", async () => {
    const redis = await startRedisServer();
    await redis.command("SET", "k", "v");
    const { port, pid } = redis;
    await redis.kill();
    expect(isAlive(pid!)).toBe(false);
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(await redis.command("GET", "k")).toBe("(nil)");
    await redis.dispose();
  });

  it("keeps its data across kill -9 and restart with appendonly", async () => {
    const redis = await startRedisServer({ appendonly: true });
    await redis.command("SET", "k", "v");
    await redis.kill("SIGKILL");
    expect(redis.running).toBe(false);
    await redis.restart();
    expect(await redis.command("GET", "k")).toBe("v");
    await redis.dispose();
  });

  it("requires the password: unauthenticated clients get NOAUTH", async () => {
    const redis = await startRedisServer({ password: "s3cret" });
    await expect(redisCommand({ port: redis.port }, "GET", "k")).rejects.toThrow(/NOAUTH/);
    expect(await redis.command("PING")).toBe("PONG");
    await expect(redisCommand({ port: redis.port, password: "wrong" }, "PING")).rejects.toThrow(
      /AUTH failed/,
    );
    await redis.dispose();
  });

  it("requires an ACL user when only ACL users are configured", async () => {
    const redis = await startRedisServer({
      aclUsers: [{ name: "app", password: "pw", rules: "on ~* &* +@all" }],
    });
    await expect(redisCommand({ port: redis.port }, "PING")).rejects.toThrow(/NOAUTH/);
    expect(await redis.command("ACL", "WHOAMI")).toBe("app");
    expect(await redisCommand({ port: redis.port, username: "app", password: "pw" }, "PING")).toBe("PONG");
    await redis.dispose();
  });

  it("cleans up its process and temp dir on dispose", async () => {
    const { existsSync } = await import("node:fs");
    const redis = await startRedisServer();
    const { pid, dir } = redis;
    await redis.dispose();
    expect(isAlive(pid!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
