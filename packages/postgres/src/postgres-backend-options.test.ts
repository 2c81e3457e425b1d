// The options are one schema: its defaults, a ConfigurationError worded as `lattice` words it (`postgres.url
// …`, naming the field), PostgreSQL's own prefix limit, the URL's settings under the options', the CA file as
// TLS, and no password in anything printed — nor in an error.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError, redactUrl } from "@lattice-cache/core/backend";
import { afterAll, describe, expect, it } from "vitest";
import { clientConfig } from "./connection-config.js";
import { latticeSchema } from "./lattice-schema.js";
import { PostgresBackend } from "./postgres-backend.js";
import {
  POSTGRES_BACKEND_DEFAULTS,
  POSTGRES_BACKEND_OPTIONS,
  type PostgresBackendOptions,
  parsePostgresBackendOptions,
} from "./postgres-backend-options.js";

const URL = "postgres://lattice:s3cret@db.example:5433/lattice";
const dir = mkdtempSync(join(tmpdir(), "postgres-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ConfigurationError the constructor throws for `options`, or undefined when it accepts them. */
function refusal(options: PostgresBackendOptions): ConfigurationError | undefined {
  try {
    new PostgresBackend(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  return undefined;
}

describe("PostgresBackend options", () => {
  it("apply the defaults, each written once in the schema", () => {
    expect(parsePostgresBackendOptions({ url: URL })).toEqual({ ...POSTGRES_BACKEND_DEFAULTS, url: URL });
    expect(POSTGRES_BACKEND_DEFAULTS).toMatchObject({
      prefix: "default",
      provision: "create",
      changeLogLength: 100_000,
      durable: true,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 5_000,
      queryTimeoutMs: 6_000,
      poolSize: 10,
      closeGraceMs: 5_000,
      applicationName: "lattice-cache",
    });
  });

  it("refuse a bad option with a ConfigurationError naming the field", () => {
    const fieldOf = (options: PostgresBackendOptions) => refusal(options)?.field;
    expect(fieldOf({})).toBe("postgres.url");
    expect(fieldOf({ url: "redis://127.0.0.1" })).toBe("postgres.url");
    expect(fieldOf({ url: "postgres://" })).toBe("postgres.url");
    expect(fieldOf({ url: URL, prefix: "a.b" })).toBe("postgres.prefix");
    expect(fieldOf({ url: URL, poolSize: 0 })).toBe("postgres.poolSize");
    expect(fieldOf({ url: URL, closeGraceMs: -1 })).toBe("postgres.closeGraceMs");
    expect(fieldOf({ url: URL, closeGraceMs: 0 })).toBeUndefined();
    expect(fieldOf({ url: URL, changeLogLength: 1.5 })).toBe("postgres.changeLogLength");
    expect(fieldOf({ url: URL, statementTimeoutMs: 5000, queryTimeoutMs: 5000 })).toBe(
      "postgres.queryTimeoutMs",
    );
    expect(fieldOf({ url: URL, ssl: false, caFile: "/ca.pem" })).toBe("postgres.caFile");
    expect(fieldOf({ url: "postgresql://h/db", prefix: "p".repeat(55) })).toBeUndefined();
  });

  it("word a problem as `lattice` does, one line each, with the allowed values", () => {
    expect(refusal({})?.message).toBe(
      "postgres.url is required: the PostgreSQL server and database (postgres://user@host:port/database)",
    );
    expect(refusal({ url: "mysql://h/db", poolSize: 0 })?.message).toBe(
      'postgres.url URL "mysql://h/db" has scheme mysql; allowed values: postgres://, postgresql://\n' +
        "postgres.poolSize must be an integer from 1 to 10000 (got 0)",
    );
    expect(refusal({ url: URL, provision: "sometimes" as "bind" })).toMatchObject({
      message:
        'postgres.provision must be one of the allowed values (got "sometimes"); allowed values: create, bind',
      allowed: ["create", "bind"],
    });
    expect(refusal({ url: URL, colour: "blue" } as PostgresBackendOptions)?.message).toBe(
      "postgres.colour is not a known option",
    );
  });

  it("hold the prefix to PostgreSQL's identifiers, saying why", () => {
    expect(refusal({ url: URL, prefix: "p".repeat(56) })).toMatchObject({
      field: "postgres.prefix",
      message:
        "postgres.prefix may be at most 55 characters on PostgreSQL: the lattice's schema lattice_<prefix> " +
        "must fit PostgreSQL's 63-byte identifiers (got 56)",
    });
  });

  it("never put a password in an error", () => {
    const message = refusal({ url: "mysql://lattice:s3cret@db.example/lattice" })?.message;
    expect(message).toBe(
      'postgres.url URL "mysql://lattice:***@db.example/lattice" has scheme mysql; allowed values: postgres://, postgresql://',
    );
  });

  it("give the client a query timeout a second over a statement timeout set alone", () => {
    expect(parsePostgresBackendOptions({ url: URL, statementTimeoutMs: 800 })).toMatchObject({
      statementTimeoutMs: 800,
      queryTimeoutMs: 1800,
    });
  });

  it("put the options' credentials and TLS over the URL's, and keep the fail-fast settings", () => {
    const config = clientConfig(
      parsePostgresBackendOptions({
        url: `${URL}?application_name=mine&options=-c%20search_path%3Dx`,
        user: "other",
        password: "from-options",
        ssl: { ca: "PEM" },
        queryTimeoutMs: 3000,
        statementTimeoutMs: 2000,
      }),
    );
    expect(config).toMatchObject({
      host: "db.example",
      port: 5433,
      database: "lattice",
      user: "other",
      password: "from-options",
      ssl: { ca: "PEM" },
      application_name: "mine",
      options: "-c search_path=x",
      query_timeout: 3000,
      statement_timeout: 2000,
      connectionTimeoutMillis: 3000,
      keepAlive: true,
    });
  });

  it("turn TLS on with the CA file's PEM, beside node's TLS options; an unreadable one names postgres.caFile", () => {
    const caFile = join(dir, "ca.pem");
    writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    expect(clientConfig(parsePostgresBackendOptions({ url: URL, caFile })).ssl).toEqual({
      ca: expect.stringContaining("BEGIN CERTIFICATE"),
    });
    const withServername = parsePostgresBackendOptions({ url: URL, caFile, ssl: { servername: "db" } });
    expect(clientConfig(withServername).ssl).toMatchObject({ servername: "db", ca: expect.any(String) });
    expect(refusal({ url: URL, caFile: join(dir, "nope.pem") })).toMatchObject({
      field: "postgres.caFile",
      message: expect.stringMatching(/^postgres\.caFile cannot be read: .*ENOENT/),
    });
  });

  it("never show the password: redacted URLs and describe()", () => {
    expect(redactUrl(URL)).toBe("postgres://lattice:***@db.example:5433/lattice");
    expect(redactUrl("postgres://h/db?password=pw")).toBe("postgres://h/db?password=***");
    const backend = new PostgresBackend({ url: URL, password: "other-secret", prefix: "p" });
    const described = JSON.stringify(backend.describe());
    expect(described).not.toMatch(/s3cret|other-secret/);
    expect(backend.describe()).toMatchObject({ schema: "lattice_p", connection: "not opened" });
  });

  it("name the lattice's schema lattice_<prefix>, quoted, with the channel of the same name", () => {
    expect(latticeSchema("Prod-1")).toMatchObject({
      name: "lattice_Prod-1",
      meta: '"lattice_Prod-1".meta',
      writeFunction: '"lattice_Prod-1".lattice_write',
      channel: '"lattice_Prod-1"',
    });
  });
});

describe("README.md: Options", () => {
  it("has a row for every option of the schema, and for no other", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Options"), readme.indexOf("## The host plugin"));
    const rows = [...section.matchAll(/^\| `(\w+)` +\|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(Object.keys(POSTGRES_BACKEND_OPTIONS.in.shape).sort());
  });
});
