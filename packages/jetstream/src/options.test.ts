import { ConfigurationError, silentLogger } from "@lattice-cache/core/backend";
import { DEFAULT_NATS_URL } from "@lattice-cache/plugin/nats";
import { describe, expect, it } from "vitest";
import { JetStreamBackend } from "./jetstream-backend.js";
import { JETSTREAM_DEFAULTS, parseJetStreamOptions } from "./options.js";

function refusal(options: unknown): ConfigurationError {
  try {
    parseJetStreamOptions(options as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
}

describe("jetstream backend options: one schema, the host's nats section included", () => {
  it("defaults: the local NATS server, prefix default, create, R1 file history 1 and 1 MiB values, unlimited reconnects, 10 s write deadline", () => {
    const o = parseJetStreamOptions({});
    expect(o.servers).toEqual([DEFAULT_NATS_URL]);
    expect(o.prefix).toBe("default");
    expect(o.provision).toBe("create");
    expect(o.bucket).toEqual({ history: 1, replicas: 1, storage: "file", maxValueSize: 1024 * 1024 });
    expect(o.maxReconnectAttempts).toBe(-1);
    expect(o.writeDeadlineMs).toBe(10_000);
    expect(o.auth).toEqual({});
    expect(o.tls).toBeUndefined();
    expect(o.hostId.length).toBeGreaterThan(0);
    expect(o.logger).toBe(silentLogger);
    expect(JETSTREAM_DEFAULTS.bucket).toEqual(o.bucket);
    expect(parseJetStreamOptions(undefined).prefix).toBe("default");
  });

  it("accepts a comma-separated string or a list of servers, and writes each URL in full", () => {
    expect(parseJetStreamOptions({ servers: "nats://a:1, b" }).servers).toEqual([
      "nats://a:1",
      "nats://b:4222",
    ]);
    expect(parseJetStreamOptions({ servers: ["tls://a:1"] }).servers).toEqual(["tls://a:1"]);
  });

  it.each([
    [{ servers: [] }, "nats.servers"],
    [{ servers: "http://x" }, "nats.servers"],
    [{ prefix: "a.b" }, "prefix"],
    [{ prefix: "" }, "prefix"],
    [{ hostId: "a b" }, "hostId"],
    [{ jsDomain: "hub.x" }, "nats.jsDomain"],
    [{ provision: "maybe" }, "provision"],
    [{ bucket: { storage: "disk" } }, "nats.bucket.storage"],
    [{ bucket: { replicas: 7 } }, "nats.bucket.replicas"],
    [{ bucket: { history: 0 } }, "nats.bucket.history"],
    [{ writeDeadlineMs: 0 }, "writeDeadlineMs"],
    [{ maxReconnectAttempts: -2 }, "maxReconnectAttempts"],
    [{ auth: { token: "t", user: "u", password: "p" } }, "nats.auth"],
    [{ auth: { user: "u" } }, "nats.auth.password"],
    [{ tls: { certFile: "/c.pem" } }, "nats.tls.keyFile"],
    [{ logger: console.log }, "logger"],
    [{ connection: "nats://x" }, "connection"],
    [{ bucket: { replica: 3 } }, "nats.bucket.replica"],
    [{ domain: "hub" }, "domain"],
  ])("refuses %j naming %s", (options, field) => {
    const error = refusal(options);
    expect(error.code).toBe("CONFIGURATION");
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field} `)).toBe(true);
  });

  it("says every problem, one a line", () => {
    const error = refusal({ prefix: "a.b", bucket: { replicas: 0, storage: "disk" } });
    expect(error.message.split("\n")).toEqual([
      "nats.bucket.replicas must be an integer from 1 to 5 (got 0)",
      'nats.bucket.storage must be one of the allowed values (got "disk"); allowed values: file, memory',
      'prefix may only contain letters, digits, _ and - (got "a.b")',
    ]);
  });

  it("takes what files and environment variables give, as `lattice` does (text numbers, comma lists)", () => {
    const o = parseJetStreamOptions({ bucket: { replicas: "3" as never }, servers: "a:1,b:2" });
    expect(o.bucket.replicas).toBe(3);
    expect(o.servers).toEqual(["nats://a:1", "nats://b:2"]);
  });

  it("servers may be omitted when a connection is brought: messages then name no default server", () => {
    const connection = { subscribe() {} } as never;
    expect(parseJetStreamOptions({ connection }).servers).toEqual([]);
    expect(parseJetStreamOptions({ connection, servers: "nats://n1" }).servers).toEqual(["nats://n1:4222"]);
  });

  it("the constructor refuses a bad option before connecting anything", () => {
    expect(() => new JetStreamBackend({ bucket: { replicas: 9 } })).toThrow(
      "nats.bucket.replicas must be an integer from 1 to 5 (got 9)",
    );
  });
});
