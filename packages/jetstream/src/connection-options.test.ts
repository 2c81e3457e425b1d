import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError } from "@lattice-cache/core/backend";
import { natsClientOptions } from "@lattice-cache/plugin/nats";
import { afterAll, describe, expect, it } from "vitest";
import { connectionName, natsConnectOptions } from "./connection-options.js";
import { JetStreamBackend } from "./jetstream-backend.js";
import { parseJetStreamOptions } from "./options.js";

const dirs: string[] = [];
const tempDir = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `lattice-${label}-`));
  dirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("connection options", () => {
  it("names the connection lattice-cache:<hostId> and reconnects forever by default", () => {
    const o = natsConnectOptions(
      parseJetStreamOptions({ servers: ["nats://127.0.0.1:1"], hostId: "host-7" }),
    );
    expect(o.name).toBe("lattice-cache:host-7");
    expect(connectionName("h")).toBe("lattice-cache:h");
    expect(o.maxReconnectAttempts).toBe(-1);
    expect(o.servers).toEqual(["nats://127.0.0.1:1"]);
  });

  it("turns off nats.js per-request async traces (two stack-captured Errors per write)", () => {
    expect(natsConnectOptions(parseJetStreamOptions({ servers: "nats://127.0.0.1:1" })).noAsyncTraces).toBe(
      true,
    );
  });

  it("passes token and user/password through, and builds authenticators for nkey seeds and creds files", () => {
    const base = { servers: "nats://127.0.0.1:1" };
    expect(natsConnectOptions(parseJetStreamOptions({ ...base, auth: { token: "s3cret" } })).token).toBe(
      "s3cret",
    );
    const up = natsConnectOptions(parseJetStreamOptions({ ...base, auth: { user: "u", password: "p" } }));
    expect([up.user, up.pass]).toEqual(["u", "p"]);
    const seed = "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4";
    expect(
      natsConnectOptions(parseJetStreamOptions({ ...base, auth: { nkeySeed: seed } })).authenticator,
    ).toBeTypeOf("function");
    const dir = tempDir("creds");
    const creds = join(dir, "user.creds");
    writeFileSync(creds, "-----BEGIN NATS USER JWT-----\nx\n------END NATS USER JWT------\n");
    expect(
      natsConnectOptions(parseJetStreamOptions({ ...base, auth: { credsFile: creds } })).authenticator,
    ).toBeTypeOf("function");
  });

  it("an unreadable creds file or TLS file is a ConfigurationError naming the field", () => {
    const base = { servers: "nats://127.0.0.1:1" };
    expect(() =>
      natsConnectOptions(parseJetStreamOptions({ ...base, auth: { credsFile: "/nonexistent/u.creds" } })),
    ).toThrow(ConfigurationError);
    try {
      natsConnectOptions(parseJetStreamOptions({ ...base, tls: { caFile: "/nonexistent/ca.pem" } }));
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigurationError).field).toBe("nats.tls.caFile");
    }
  });

  it("passes TLS files to the client", () => {
    const dir = tempDir("tls");
    for (const f of ["ca.pem", "c.pem", "k.pem"]) writeFileSync(join(dir, f), "x");
    const o = natsConnectOptions(
      parseJetStreamOptions({
        servers: "tls://127.0.0.1:1",
        tls: { caFile: join(dir, "ca.pem"), certFile: join(dir, "c.pem"), keyFile: join(dir, "k.pem") },
      }),
    );
    expect(o.tls).toEqual({
      caFile: join(dir, "ca.pem"),
      certFile: join(dir, "c.pem"),
      keyFile: join(dir, "k.pem"),
    });
  });

  it("natsClientOptions serves any connection: its name, its reconnect policy, the client's pings unless told", () => {
    const seed = "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4";
    const o = natsClientOptions({
      servers: ["nats://127.0.0.1:1", "nats://127.0.0.1:2"],
      name: "status:h",
      auth: { nkeySeed: seed },
      timeoutMs: 1500,
      maxReconnectAttempts: 0,
    });
    expect(o).toMatchObject({
      servers: ["nats://127.0.0.1:1", "nats://127.0.0.1:2"],
      name: "status:h",
      timeout: 1500,
      maxReconnectAttempts: 0,
      noAsyncTraces: true,
    });
    expect(o.authenticator).toBeTypeOf("function");
    expect(o.pingInterval).toBeUndefined();
    expect(o.maxPingOut).toBeUndefined();
    const pinged = natsClientOptions({
      servers: [],
      name: "n",
      timeoutMs: 1,
      maxReconnectAttempts: -1,
      pingIntervalMs: 500,
    });
    expect([pinged.pingInterval, pinged.maxPingOut]).toEqual([500, 3]);
  });

  it("natsClientOptions names the caller's configuration section for an unreadable file", () => {
    try {
      natsClientOptions({
        servers: ["nats://127.0.0.1:1"],
        name: "n",
        tls: { certFile: "/nonexistent/c.pem", keyFile: "/nonexistent/k.pem" },
        timeoutMs: 1,
        maxReconnectAttempts: 0,
        configSection: "nats",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).field).toBe("nats.tls.certFile");
    }
  });

  it("never shows credentials embedded in server URLs (core's redactUrl: the user name stays, a password or token is ***)", () => {
    const backend = new JetStreamBackend({
      servers: ["nats://user:pass@127.0.0.1:4222", "tls://token@host:4222", "127.0.0.1"],
    });
    expect(backend.describe().servers).toEqual([
      "nats://user:***@127.0.0.1:4222",
      "tls://***@host:4222",
      "nats://127.0.0.1:4222",
    ]);
  });
});
