// One wording for a bad legacy setting: `new LegacyBackend({…})` throws the very text `lattice` prints for the
// same value from an environment variable, a flag or the config file (the host adds "invalid configuration: "
// before it and who set it after) — both parse the same setting schemas.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigurationError } from "@lattice-cache/core";
import { LegacyBackend } from "@lattice-cache/legacy";
import { afterAll, describe, expect, it } from "vitest";
import { createDefaultBackendRegistry } from "../composition/builtin-backends.js";
import { configError } from "../test-support/configuration-error.test-helpers.js";
import { loadConfig } from "./load-config.js";

const BACKENDS = createDefaultBackendRegistry().names;
const dir = mkdtempSync(join(tmpdir(), "lattice-legacy-messages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The host's line about `field`, without what the host adds around the shared text. */
function hostProblem(error: ConfigurationError, field: string): string | undefined {
  const line = error.message.split("\n").find((l) => l.startsWith(`invalid configuration: ${field} `));
  return line?.replace(/^invalid configuration: /, "").replace(/ \(set by [^)]*\)$/, "");
}

/** `lattice`'s configuration with `yaml` as its config file (and `backend: legacy`). */
function fromFile(name: string, yaml: string[]) {
  const path = join(dir, name);
  writeFileSync(path, ["backend: legacy", ...yaml].join("\n"));
  return () => loadConfig({ flags: { config: path }, env: {}, backends: BACKENDS });
}

const cases = [
  {
    what: "a NATS URL of another scheme",
    field: "nats.servers",
    options: { servers: "http://old-host:4222" },
    env: { LATTICE_NATS_URL: "http://old-host:4222" },
    flags: { natsUrl: "http://old-host:4222" },
    file: ["nats:", "  servers: http://old-host:4222"],
  },
  {
    what: "two authentication methods",
    field: "nats.auth",
    options: { auth: { token: "s3cret-token", user: "alice", password: "pw" } },
    env: { LATTICE_NATS_TOKEN: "s3cret-token", LATTICE_NATS_USER: "alice", LATTICE_NATS_PASSWORD: "pw" },
    file: ["nats:", "  auth:", "    token: s3cret-token", "    user: alice", "    password: pw"],
  },
  {
    what: "a client certificate without its key",
    field: "nats.tls.keyFile",
    options: { tls: { certFile: "/etc/nats/client.pem" } },
    env: { LATTICE_NATS_TLS_CERT: "/etc/nats/client.pem" },
    file: ["nats:", "  tls:", "    certFile: /etc/nats/client.pem"],
  },
  {
    what: "a prefix NATS subjects cannot carry",
    field: "prefix",
    options: { prefix: "a.b" },
    env: { LATTICE_PREFIX: "a.b" },
    flags: { prefix: "a.b" },
    file: ["prefix: a.b"],
  },
];

describe.each(cases)("$what ($field)", ({ field, options, env, flags, file }) => {
  const library = configError(() => new LegacyBackend(options));

  it("is named by the library as users write the setting", () => {
    expect(library.field).toBe(field);
    expect(library.message.startsWith(`${field} `)).toBe(true);
  });

  it("is worded by lattice identically when it comes from the environment", () => {
    const host = configError(() =>
      loadConfig({ env: { LATTICE_BACKEND: "legacy", ...env }, backends: BACKENDS }),
    );
    expect(hostProblem(host, field)).toBe(library.message);
    expect(host.message).toContain(library.message);
  });

  it("is worded by lattice identically when it comes from the config file", () => {
    const host = configError(fromFile(`${field}.yaml`, file));
    expect(hostProblem(host, field)).toBe(library.message);
  });

  if (flags === undefined) return; // a setting without a flag
  it("is worded by lattice identically when it comes from a flag", () => {
    const host = configError(() =>
      loadConfig({ flags: { backend: "legacy", ...flags }, env: {}, backends: BACKENDS }),
    );
    expect(hostProblem(host, field)).toBe(library.message);
  });
});

it("names the library's own options by their names (they are no host settings)", () => {
  const error = configError(() => new LegacyBackend({ getTimeoutMs: 0, colour: "red" } as never));
  expect(error.message.split("\n")).toEqual([
    "getTimeoutMs must be an integer from 1 to 600000 (got 0)",
    "colour is not a known option",
  ]);
});
