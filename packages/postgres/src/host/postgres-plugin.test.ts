// The postgres plugin: its `postgres` section is the backend's options schema (the very settings, and
// `statusChannel`), the options it makes of a host's configuration (the host's prefix, connect timeout and
// lattice creation on top), a prefix too long for PostgreSQL named as users write it, and where it connects.
// The settings through `lattice` (flags, environment, file, masking, a host end to end):
// apps/host/src/composition/postgres-plugin.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError, silentLogger } from "@lattice-cache/core";
import { type PluginHost, UNCOUNTED_REJECTIONS } from "@lattice-cache/plugin";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { POSTGRES_SETTINGS } from "../postgres-backend-options.js";
import { type PostgresConfig, postgresOptions, postgresPlugin } from "./postgres-plugin.js";

const URL_WITH_SECRET = "postgres://lattice:pw-in-url-secret@db.example:5432/lattice";
const dir = mkdtempSync(join(tmpdir(), "postgres-plugin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const host: PluginHost = {
  logger: silentLogger,
  statusChannel: () => ({ logger: silentLogger, rejections: UNCOUNTED_REJECTIONS, secret: undefined }),
};

/** A host's validated configuration with `postgres` settings as a file would give them. */
function configWith(postgres: Record<string, unknown>, host: Partial<PostgresConfig> = {}): PostgresConfig {
  const section = postgresPlugin.config;
  if (section === undefined) throw new Error("the postgres plugin has no config section");
  return {
    backend: "postgres",
    prefix: "default",
    createLattice: "auto",
    connectTimeoutMs: 5_000,
    status: {},
    postgres: z.strictObject(section.settings).parse(postgres) as PostgresConfig["postgres"],
    ...host,
  };
}

describe("the postgres plugin", () => {
  it("contributes the options' own settings as its section, and statusChannel", () => {
    const section = postgresPlugin.config;
    expect(section?.key).toBe("postgres");
    for (const [name, schema] of Object.entries(POSTGRES_SETTINGS)) {
      expect(section?.settings[name], name).toBe(schema);
    }
    expect(Object.keys(section?.settings ?? {})).toEqual([
      ...Object.keys(POSTGRES_SETTINGS),
      "statusChannel",
    ]);
  });

  it("makes the backend's options: the section's settings, the host's prefix, connect timeout and creation policy", () => {
    const config = configWith(
      { url: URL_WITH_SECRET, password: "pw", changeLogLength: "500", poolSize: 3, statusChannel: "nats" },
      { prefix: "prod", connectTimeoutMs: 7_000, createLattice: "never" },
    );
    const options = postgresOptions(config, host);
    expect(options).toMatchObject({
      url: URL_WITH_SECRET,
      password: "pw",
      changeLogLength: 500,
      poolSize: 3,
      prefix: "prod",
      provision: "bind",
      connectTimeoutMs: 7_000,
      logger: silentLogger,
    });
    expect(options).not.toHaveProperty("statusChannel");
    expect(postgresPlugin.create(configWith({ url: URL_WITH_SECRET }), host).describe?.()).toMatchObject({
      schema: "lattice_default",
      changeLogLength: 100_000,
    });
  });

  it("turns TLS on with the CA file; one it cannot read is refused naming postgres.caFile", () => {
    const caFile = join(dir, "ca.pem");
    writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    expect(() => postgresPlugin.create(configWith({ url: URL_WITH_SECRET, caFile }), host)).not.toThrow();
    const missing = configWith({ url: URL_WITH_SECRET, caFile: join(dir, "nope.pem") });
    expect(() => postgresPlugin.create(missing, host)).toThrow(/^postgres\.caFile cannot be read/);
  });

  it("refuses a prefix longer than PostgreSQL's identifiers allow, naming `prefix` as users write it", () => {
    const config = configWith({ url: URL_WITH_SECRET }, { prefix: "p".repeat(56) });
    let error: unknown;
    try {
      postgresPlugin.create(config, host);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({
      field: "prefix",
      message: expect.stringMatching(
        /^prefix may be at most 55 characters on PostgreSQL: .*63-byte identifiers/,
      ),
    });
  });

  it("says where it connects without the password", () => {
    expect(postgresPlugin.target?.(configWith({ url: URL_WITH_SECRET }))).toBe(
      "PostgreSQL at postgres://lattice:***@db.example:5432/lattice",
    );
    expect(postgresPlugin.target?.(configWith({}))).toBe("PostgreSQL at (no postgres.url)");
  });
});
