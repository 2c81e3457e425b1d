// The generator's name rules, without running it (the end-to-end test runs it once).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { backendNames, checkBackendName } from "../../../turbo/generators/backend-name.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("the backend generator's name", () => {
  const fixture = mkdtempSync(join(tmpdir(), "lattice-generator-names-"));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it("derives the package, class, config section and variable names", () => {
    expect(backendNames("demo-db")).toEqual({
      name: "demo-db",
      packageName: "@lattice-cache/demo-db",
      pascal: "DemoDb",
      camel: "demoDb",
      constant: "DEMO_DB",
    });
    expect(backendNames("etcd3")).toMatchObject({ pascal: "Etcd3", camel: "etcd3", constant: "ETCD3" });
  });

  it("accepts lowercase words joined by hyphens that nothing in the repository uses", () => {
    for (const name of ["etcd", "mysql", "demo-db", "s3", "a1-b2"]) {
      expect(checkBackendName(name, root), name).toBe(true);
    }
  });

  it("refuses malformed names, saying what a name is", () => {
    for (const name of ["", " ", "Etcd", "demo_db", "-db", "db-", "demo--db", "1db", "db.x", "a/b"]) {
      expect(checkBackendName(name, root), JSON.stringify(name)).toMatch(
        /needs a name|is not a backend name/,
      );
    }
    expect(checkBackendName(undefined, root)).toMatch(/needs a name/);
    expect(checkBackendName("a".repeat(33), root)).toMatch(/longer than 32/);
  });

  it("refuses what the workspace or the host already uses", () => {
    for (const name of [
      "core",
      "conformance",
      "redis",
      "jetstream",
      "legacy",
      "memory",
      "nats",
      "http",
      "host-id",
    ]) {
      expect(checkBackendName(name, root), name).toMatch(/is taken/);
    }
    // Existing packages, whatever their folder.
    mkdirSync(join(fixture, "packages", "etcd"), { recursive: true });
    mkdirSync(join(fixture, "tooling", "x"), { recursive: true });
    writeFileSync(join(fixture, "tooling", "x", "package.json"), '{ "name": "@lattice-cache/zk" }');
    expect(checkBackendName("etcd", fixture)).toMatch(/"etcd" is taken: packages\/etcd exists/);
    expect(checkBackendName("zk", fixture)).toMatch(/already named @lattice-cache\/zk/);
    // A config section may not take a key of the host's own settings.
    expect(checkBackendName("plugins", root)).toMatch(/is taken/);
    expect(checkBackendName("etcd", root)).toBe(true);
  });
});
