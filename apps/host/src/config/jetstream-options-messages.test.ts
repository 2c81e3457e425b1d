// A bad jetstream setting reads the same whether a program passes it to `new JetStreamBackend(…)` or a user
// gives it to `lattice` (env variable, flag, config file): both parse the one schema of the backend's
// options, and `lattice` only adds "invalid configuration: " before and who set it after.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetStreamBackend, type JetStreamBackendOptions } from "@lattice-cache/jetstream";
import { afterAll, describe, expect, it } from "vitest";
import { configError } from "../test-support/configuration-error.test-helpers.js";
import type { GlobalFlags } from "./config-flags.js";
import { type LoadConfigOptions, loadConfig } from "./load-config.js";

/** Where `lattice` reads a value from (which backends exist is the test's). */
type LoadConfigOptionsWithoutBackends = Omit<LoadConfigOptions, "backends">;

const dir = mkdtempSync(join(tmpdir(), "lattice-jetstream-messages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One bad value, as a program and as each of `lattice`'s sources give it. */
interface BadValue {
  readonly what: string;
  readonly options: JetStreamBackendOptions;
  readonly env: Record<string, string>;
  readonly flags?: GlobalFlags;
  readonly file: string;
}

const BAD_VALUES: readonly BadValue[] = [
  {
    what: "a server URL of another scheme",
    options: { servers: "http://nats.example:4222" },
    env: { LATTICE_NATS_URL: "http://nats.example:4222" },
    flags: { natsUrl: "http://nats.example:4222" },
    file: "nats:\n  servers: [http://nats.example:4222]\n",
  },
  {
    what: "a bucket storage that is none of the allowed values",
    options: { bucket: { storage: "disk" as never } },
    env: { LATTICE_BUCKET_STORAGE: "disk" },
    file: "nats:\n  bucket:\n    storage: disk\n",
  },
  {
    what: "a replica count out of range",
    options: { bucket: { replicas: 7 } },
    env: { LATTICE_BUCKET_REPLICAS: "7" },
    file: "nats:\n  bucket:\n    replicas: 7\n",
  },
  {
    what: "a JetStream domain with a dot",
    options: { jsDomain: "hub.east" },
    env: { LATTICE_JS_DOMAIN: "hub.east" },
    flags: { jsDomain: "hub.east" },
    file: "nats:\n  jsDomain: hub.east\n",
  },
];

/** The text `lattice` shares with the library: without "invalid configuration: " and " (set by …)". */
function sharedText(hostMessage: string): string {
  return hostMessage.replace(/^invalid configuration: /, "").replace(/ \(set by [^)]*\)$/, "");
}

describe.each(BAD_VALUES)("$what", (bad) => {
  const library = () => configError(() => new JetStreamBackend(bad.options));

  it("the library names the setting as users write it (nats.…)", () => {
    expect(library().message).toMatch(/^nats\./);
    expect(library().field).toMatch(/^nats\./);
  });

  const file = () => {
    const path = join(dir, `${bad.what.replace(/\W+/g, "-")}.yaml`);
    writeFileSync(path, bad.file);
    return { flags: { config: path }, env: {} };
  };
  const sources: [string, () => LoadConfigOptionsWithoutBackends][] = [
    ["an environment variable", () => ({ env: bad.env })],
    ["a config file", file],
  ];
  const { flags } = bad;
  if (flags) sources.push(["a flag", () => ({ flags, env: {} })]);

  it.each(sources)("reads the same from %s", (_source, given) => {
    const host = configError(() => loadConfig({ ...given(), backends: ["jetstream"] }));
    expect(host.message).toContain(library().message);
    expect(sharedText(host.message)).toBe(library().message);
    expect(host.field).toBe(library().field);
  });
});
