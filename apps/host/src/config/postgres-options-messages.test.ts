// One wording for a bad postgres setting: `new PostgresBackend({...})` and `lattice` (the value from an
// environment variable, a flag or a config file) parse the same schema, so the library's ConfigurationError
// says exactly what `lattice` says between its "invalid configuration: " and " (set by …)" — a password in a
// URL masked in both.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError } from "@lattice-cache/core";
import { PostgresBackend, type PostgresBackendOptions } from "@lattice-cache/postgres";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createDefaultBackendRegistry } from "../composition/builtin-backends.js";
import { type LoadConfigOptions, loadConfig } from "./load-config.js";

const BACKENDS = createDefaultBackendRegistry().names;
const GOOD_URL = "postgres://lattice@db.example:5432/lattice";
const dir = mkdtempSync(join(tmpdir(), "lattice-postgres-messages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The message of the ConfigurationError `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).message;
  }
  throw new Error("expected a ConfigurationError");
}

/** What `lattice` says of a bad setting, without its lead and the source it names (which must be `source`). */
function latticeSays(options: Omit<LoadConfigOptions, "backends">, source: string): string {
  const message = refusal(() => loadConfig({ env: {}, ...options, backends: BACKENDS }));
  const match = /^invalid configuration: (.*) \(set by (.*)\)$/.exec(message);
  expect(match, message).not.toBeNull();
  expect(match?.[2]).toBe(source);
  return match?.[1] as string;
}

let files = 0;

/** A config file `backend: postgres` with `postgres` settings. */
function configFile(postgres: Record<string, unknown>): string {
  files += 1;
  const path = join(dir, `postgres-${files}.yaml`);
  writeFileSync(path, stringify({ backend: "postgres", postgres }));
  return path;
}

/** What the library says of the same options. */
function librarySays(options: PostgresBackendOptions): string {
  return refusal(() => new PostgresBackend(options));
}

describe("a bad postgres setting is worded the same by the library and by lattice", () => {
  it.each([
    [
      "a URL of another scheme",
      "mysql://db.example/lattice",
      'postgres.url URL "mysql://db.example/lattice" has scheme mysql; allowed values: postgres://, postgresql://',
    ],
    [
      "a URL that does not parse, its password masked",
      "postgres://lattice:pw-3f9e@db.example:99999/lattice",
      'postgres.url holds an invalid URL "postgres://lattice:***@db.example:99999/lattice"',
    ],
  ])("%s: from LATTICE_POSTGRES_URL, --postgres-url and the file", (_, bad, expected) => {
    const library = librarySays({ url: bad });
    expect(library).toBe(expected);
    const env = { LATTICE_BACKEND: "postgres", LATTICE_POSTGRES_URL: bad };
    expect(latticeSays({ env }, "env LATTICE_POSTGRES_URL")).toBe(library);
    expect(latticeSays({ flags: { backend: "postgres", postgresUrl: bad } }, "flag --postgres-url")).toBe(
      library,
    );
    const file = configFile({ url: bad });
    expect(latticeSays({ flags: { config: file } }, `config file ${file}`)).toBe(library);
  });

  it("numbers and booleans out of bounds, from the file (they have no variable or flag)", () => {
    for (const bad of [{ changeLogLength: 0 }, { poolSize: 1.5 }, { durable: "maybe" }]) {
      const library = librarySays({ url: GOOD_URL, ...bad } as PostgresBackendOptions);
      const file = configFile({ url: GOOD_URL, ...bad });
      expect(latticeSays({ flags: { config: file } }, `config file ${file}`), JSON.stringify(bad)).toBe(
        library,
      );
    }
    expect(librarySays({ url: GOOD_URL, durable: "maybe" as unknown as boolean })).toBe(
      'postgres.durable must be a boolean (got "maybe"); allowed values: true, false',
    );
  });
});
