// Finding a plugin package's ./host door as Node would import it: its exports read with the import
// conditions, the package found in the project's node_modules (the nearest ancestor that has it) or as the
// package the directory is in.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { exportTarget, findProjectPackage, packageAt } from "./plugin-package.js";

describe("exportTarget", () => {
  it("takes the first condition an import matches, in the target's own order, and never types", () => {
    expect(exportTarget({ "./host": "./dist/host.js" }, "./host")).toBe("./dist/host.js");
    expect(
      exportTarget({ "./host": { types: "./dist/host.d.ts", import: "./dist/host.js" } }, "./host"),
    ).toBe("./dist/host.js");
    expect(
      exportTarget(
        { "./host": { require: "./host.cjs", default: "./host.mjs", import: "./x.js" } },
        "./host",
      ),
    ).toBe("./host.mjs");
    expect(exportTarget({ "./host": { node: { import: "./node.js" }, default: "./any.js" } }, "./host")).toBe(
      "./node.js",
    );
    // A condition that resolves to nothing falls through to the next one.
    expect(exportTarget({ "./host": { node: { require: "./n.cjs" }, default: "./d.js" } }, "./host")).toBe(
      "./d.js",
    );
    expect(exportTarget({ "./host": ["not-relative.js", "./second.js"] }, "./host")).toBe("./second.js");
  });

  it("matches * patterns, the longest prefix first", () => {
    const exports = { "./*": "./dist/*.js", "./host/*": "./dist/host/*.js" };
    expect(exportTarget(exports, "./host")).toBe("./dist/host.js");
    expect(exportTarget(exports, "./host/extra")).toBe("./dist/host/extra.js");
  });

  it("has no ./host in a string, a conditions object of `.`, or a map without it", () => {
    expect(exportTarget("./index.js", "./host")).toBeUndefined();
    expect(exportTarget({ import: "./index.js" }, "./host")).toBeUndefined();
    expect(exportTarget({ ".": "./index.js" }, "./host")).toBeUndefined();
    expect(exportTarget(undefined, "./host")).toBeUndefined();
    expect(exportTarget({ "./host": { require: "./host.cjs" } }, "./host")).toBeUndefined();
  });
});

describe("findProjectPackage", () => {
  const root = mkdtempSync(join(tmpdir(), "lattice-plugin-package-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function writePackage(dir: string, manifest: object): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
  }

  it("finds the package in the nearest node_modules that has it, with its door's URL", () => {
    const installed = join(root, "node_modules", "@acme", "lattice-backend-x");
    writePackage(installed, {
      name: "@acme/lattice-backend-x",
      version: "2.0.0",
      exports: { "./host": "./h.js" },
    });
    const deep = join(root, "app", "src");
    mkdirSync(deep, { recursive: true });
    expect(findProjectPackage("@acme/lattice-backend-x", deep)).toEqual({
      name: "@acme/lattice-backend-x",
      dir: installed,
      version: "2.0.0",
      door: pathToFileURL(join(installed, "h.js")).href,
    });
    expect(findProjectPackage("lattice-backend-absent", deep)).toBeUndefined();
  });

  it("counts the package the directory is in, and says when it has no door", () => {
    const own = join(root, "own-plugin");
    writePackage(own, { name: "lattice-backend-own", exports: { ".": "./index.js" } });
    mkdirSync(join(own, "dist"), { recursive: true });
    expect(findProjectPackage("lattice-backend-own", join(own, "dist"))).toMatchObject({
      dir: own,
      door: undefined,
    });
    expect(packageAt(own)).toMatchObject({ name: "lattice-backend-own", door: undefined });
    expect(packageAt(join(root, "nothing-here"))).toBeUndefined();
  });
});
