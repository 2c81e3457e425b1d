import { ConfigurationError } from "@lattice-cache/core/backend";
import { describe, expect, it } from "vitest";
import { JETSTREAM_DEFAULTS, resolveOptions } from "./options.js";

describe("jetstream backend options", () => {
  it("defaults: prefix default, create, R1 file history 1 and 1 MiB values, unlimited reconnects, 10 s write deadline", () => {
    const o = resolveOptions({ servers: "nats://127.0.0.1:4222" });
    expect(o.prefix).toBe("default");
    expect(o.provision).toBe("create");
    expect(o.bucket).toEqual({ history: 1, replicas: 1, storage: "file", maxValueSize: 1024 * 1024 });
    expect(o.maxReconnectAttempts).toBe(-1);
    expect(o.writeDeadlineMs).toBe(10_000);
    expect(o.servers).toEqual(["nats://127.0.0.1:4222"]);
    expect(o.hostId.length).toBeGreaterThan(0);
    expect(JETSTREAM_DEFAULTS.maxReconnectAttempts).toBe(-1);
  });

  it("accepts a comma-separated string or a list of servers", () => {
    expect(resolveOptions({ servers: "nats://a:1, nats://b:2" }).servers).toEqual([
      "nats://a:1",
      "nats://b:2",
    ]);
    expect(resolveOptions({ servers: ["nats://a:1"] }).servers).toEqual(["nats://a:1"]);
  });

  it.each([
    [{}, "jetstream.servers"],
    [{ servers: [] }, "jetstream.servers"],
    [{ servers: "nats://x", prefix: "a.b" }, "jetstream.prefix"],
    [{ servers: "nats://x", prefix: "" }, "jetstream.prefix"],
    [{ servers: "nats://x", jsDomain: "hub.x" }, "jetstream.jsDomain"],
    [{ servers: "nats://x", provision: "maybe" }, "jetstream.provision"],
    [{ servers: "nats://x", bucket: { storage: "disk" } }, "jetstream.bucket.storage"],
    [{ servers: "nats://x", bucket: { replicas: 7 } }, "jetstream.bucket.replicas"],
    [{ servers: "nats://x", bucket: { history: 0 } }, "jetstream.bucket.history"],
    [{ servers: "nats://x", writeDeadlineMs: 0 }, "jetstream.writeDeadlineMs"],
    [{ servers: "nats://x", maxReconnectAttempts: -2 }, "jetstream.maxReconnectAttempts"],
    [{ servers: "nats://x", auth: { token: "t", user: "u", pass: "p" } }, "jetstream.auth"],
    [{ servers: "nats://x", auth: { user: "u" } }, "jetstream.auth.pass"],
    [{ servers: "nats://x", tls: { certFile: "/c.pem" } }, "jetstream.tls.keyFile"],
  ])("refuses %j naming %s", (options, field) => {
    let caught: unknown;
    try {
      resolveOptions(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as ConfigurationError).code).toBe("CONFIGURATION");
    expect((caught as ConfigurationError).field).toBe(field);
  });

  it("servers may be omitted when a connection is brought", () => {
    const fake = {} as never;
    expect(resolveOptions({ connection: fake }).servers).toEqual([]);
  });
});
