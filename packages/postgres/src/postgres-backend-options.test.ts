// The options: defaults, a ConfigurationError naming the bad field, the URL's settings under the options',
// and no password in anything printed.
import { ConfigurationError, redactUrl } from "@lattice-cache/core/backend";
import { describe, expect, it } from "vitest";
import { clientConfig } from "./connection-config.js";
import { latticeSchema } from "./lattice-schema.js";
import { PostgresBackend } from "./postgres-backend.js";
import {
  POSTGRES_BACKEND_DEFAULTS,
  type PostgresBackendOptions,
  resolvePostgresBackendOptions,
} from "./postgres-backend-options.js";

const URL = "postgres://lattice:s3cret@db.example:5433/lattice";

function fieldOf(options: PostgresBackendOptions): string | undefined {
  try {
    resolvePostgresBackendOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).field;
  }
  return undefined;
}

describe("PostgresBackend options", () => {
  it("apply the defaults", () => {
    const o = resolvePostgresBackendOptions({ url: URL });
    expect(o).toMatchObject({ ...POSTGRES_BACKEND_DEFAULTS, url: URL });
  });

  it("refuse a bad option with a ConfigurationError naming the field", () => {
    expect(fieldOf({})).toBe("postgres.url");
    expect(fieldOf({ url: "redis://127.0.0.1" })).toBe("postgres.url");
    expect(fieldOf({ url: "not a url" })).toBe("postgres.url");
    expect(fieldOf({ url: URL, prefix: "a.b" })).toBe("postgres.prefix");
    expect(fieldOf({ url: URL, prefix: "p".repeat(56) })).toBe("postgres.prefix");
    expect(fieldOf({ url: URL, poolSize: 0 })).toBe("postgres.poolSize");
    expect(fieldOf({ url: URL, closeGraceMs: -1 })).toBe("postgres.closeGraceMs");
    expect(fieldOf({ url: URL, closeGraceMs: 0 })).toBeUndefined();
    expect(fieldOf({ url: URL, changeLogLength: 1.5 })).toBe("postgres.changeLogLength");
    expect(fieldOf({ url: URL, statementTimeoutMs: 5000, queryTimeoutMs: 5000 })).toBe(
      "postgres.queryTimeoutMs",
    );
    expect(fieldOf({ url: `postgresql://h/db`, prefix: "p".repeat(55) })).toBeUndefined();
  });

  it("give the client a query timeout a second over a statement timeout set alone", () => {
    expect(resolvePostgresBackendOptions({ url: URL, statementTimeoutMs: 800 })).toMatchObject({
      statementTimeoutMs: 800,
      queryTimeoutMs: 1800,
    });
  });

  it("put the options' credentials and TLS over the URL's, and keep the fail-fast settings", () => {
    const config = clientConfig(
      resolvePostgresBackendOptions({
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
