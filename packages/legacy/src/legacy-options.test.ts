// The options are one schema: the host's `nats` settings (the same objects), the prefix, and what only a
// program gives. A program reaches a NATS server with credentials exactly as `lattice` does.
import { LatticeCache } from "@lattice-cache/core";
import { parseOptions } from "@lattice-cache/plugin";
import { NATS_CONNECTION_SETTINGS } from "@lattice-cache/plugin/nats";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LegacyBackend } from "./legacy-backend.js";
import { LEGACY_BACKEND_OPTIONS, LEGACY_CONNECTION_OPTIONS, legacyConfigSection } from "./legacy-options.js";
import { migrateFromLegacy } from "./migrate-from-legacy.js";
import { uniquePrefix } from "./nats-fixtures.test-helpers.js";

const TOKEN = "legacy-options-token";
let nats: NatsServerHandle;

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false, config: `authorization { token: "${TOKEN}" }` });
});

afterAll(async () => {
  await disposeAll();
});

describe("the options schema", () => {
  it("holds the host's nats settings themselves, so both parse a value alike", () => {
    for (const [name, schema] of Object.entries(NATS_CONNECTION_SETTINGS)) {
      expect(legacyConfigSection.settings[name as keyof typeof NATS_CONNECTION_SETTINGS]).toBe(schema);
      expect(LEGACY_BACKEND_OPTIONS.shape[name as keyof typeof NATS_CONNECTION_SETTINGS]).toBe(schema);
      expect(LEGACY_CONNECTION_OPTIONS.shape[name as keyof typeof NATS_CONNECTION_SETTINGS]).toBe(schema);
    }
    expect(legacyConfigSection.key).toBe("nats");
  });

  it("gives every default once: a local NATS, prefix default, 2 s start-up gets and publishes", () => {
    const options = parseOptions(LEGACY_BACKEND_OPTIONS, {}, legacyConfigSection);
    expect(options).toMatchObject({
      servers: ["nats://127.0.0.1:4222"],
      prefix: "default",
      getTimeoutMs: 2000,
      publishTimeoutMs: 2000,
      connectTimeoutMs: 20_000,
      answerGets: true,
    });
    expect(options.tls).toBeUndefined();
  });

  it("refuses what is no connection, no logger or no known option, naming each", () => {
    expect(
      () => new LegacyBackend({ connection: "nats://x" as never, logger: 3 as never, colour: 1 } as never),
    ).toThrow(
      [
        'connection must be an open NATS connection (got string "nats://x")',
        "logger must be a logger with debug/info/warn/error (got number 3)",
        "colour is not a known option",
      ].join("\n"),
    );
  });

  it("is checked by the bridge's and the migrations' connection options too", async () => {
    await expect(
      migrateFromLegacy({ servers: "http://x", durable: undefined as never, dryRun: true }),
    ).rejects.toMatchObject({ code: "CONFIGURATION", field: "nats.servers" });
  });
});

describe("credentials, as the host's nats.auth gives them", () => {
  it("a backend with the server's token connects and starts", async () => {
    const backend = new LegacyBackend({
      servers: nats.url,
      auth: { token: TOKEN },
      prefix: uniquePrefix(),
      getTimeoutMs: 200,
    });
    const cache = await LatticeCache.open({ backend });
    try {
      await cache.ready(10_000);
      expect(backend.describe()).toMatchObject({ connected: true });
    } finally {
      await cache.close();
    }
  });

  it("a wrong token is refused as PERMISSION_DENIED", async () => {
    const backend = new LegacyBackend({ servers: nats.url, auth: { token: "not-the-token" } });
    try {
      await expect(backend.open()).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    } finally {
      await backend.close();
    }
  });

  it("an unreadable creds file is a configuration error naming nats.auth.credsFile", async () => {
    const backend = new LegacyBackend({ servers: nats.url, auth: { credsFile: "/nonexistent/user.creds" } });
    try {
      await expect(backend.open()).rejects.toMatchObject({
        code: "CONFIGURATION",
        field: "nats.auth.credsFile",
      });
    } finally {
      await backend.close();
    }
  });
});
