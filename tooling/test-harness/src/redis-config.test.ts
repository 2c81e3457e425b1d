import { describe, expect, it } from "vitest";
import { renderRedisConfig } from "./redis-config.js";

const base = { port: 41000, dir: "/tmp/r", logPath: "/tmp/r/redis.log", appendonly: false, save: false };

describe("renderRedisConfig", () => {
  it("binds to loopback in the foreground without protected mode", () => {
    const text = renderRedisConfig(base);
    for (const line of [
      "bind 127.0.0.1",
      "port 41000",
      'dir "/tmp/r"',
      "daemonize no",
      "protected-mode no",
    ]) {
      expect(text).toContain(`${line}\n`);
    }
  });

  it("disables RDB snapshots and AOF unless asked for", () => {
    const text = renderRedisConfig(base);
    expect(text).toContain('save ""\n');
    expect(text).toContain("appendonly no\n");
    const durable = renderRedisConfig({ ...base, save: true, appendonly: true });
    expect(durable).toContain("appendonly yes");
    expect(durable).not.toContain("save ");
  });

  it("switches the default user off when only ACL users are configured", () => {
    const text = renderRedisConfig({
      ...base,
      aclUsers: [{ name: "app", password: "pw", rules: "~* &* +@all" }],
    });
    expect(text).toContain("user default off\n");
    expect(text).toContain('user "app" on ">pw" ~* &* +@all\n');
  });

  it("keeps the default user when a password is configured", () => {
    const text = renderRedisConfig({
      ...base,
      password: "secret",
      aclUsers: [{ name: "app", password: "pw", rules: "~* +@all" }],
    });
    expect(text).toContain('requirepass "secret"');
    expect(text).not.toContain("user default off");
  });

  it("enables cluster mode with an explicit bus port", () => {
    const text = renderRedisConfig({ ...base, clusterBusPort: 42000 });
    expect(text).toContain("cluster-enabled yes\n");
    expect(text).toContain('cluster-config-file "/tmp/r/nodes.conf"\n');
    expect(text).toContain("cluster-port 42000\n");
  });
});
