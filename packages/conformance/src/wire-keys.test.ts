// The suite's own key computations must match docs/wire-formats.md, independently of core.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { linkdefKey, refmapKey } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import { LINKDEF_ID_TEST_VECTOR, wireLinkdefId, wireLinkdefKey, wireRefmapKey } from "./wire-keys.js";

describe("wire keys (the suite's independent computation)", () => {
  it("computes the published link definition id test vector", () => {
    const v = LINKDEF_ID_TEST_VECTOR;
    expect(wireLinkdefId(v.actorId, v.contractId, v.linkName)).toBe(v.id);
    expect(wireLinkdefKey(v.actorId, v.contractId)).toBe(linkdefKey(v.actorId, v.contractId, "default"));
  });

  it("encodes refmap keys as base64url without padding", () => {
    const url = "wasmcloud.azurecr.io/echo:0.3.4";
    expect(Buffer.from(url).toString("base64")).toMatch(/[=/]/);
    expect(wireRefmapKey(url)).toBe(refmapKey(url));
    expect(wireRefmapKey(url)).not.toMatch(/[=/+]/);
  });
});

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** The TypeScript sources and READMEs of the packages and the host. */
function projectFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return ["node_modules", "dist", ".turbo"].includes(entry.name) ? [] : projectFiles(path);
    return /\.ts$|README\.md$/.test(entry.name) ? [path] : [];
  });
}

describe("docs/wire-formats.md", () => {
  const doc = readFileSync(join(REPO, "docs/wire-formats.md"), "utf8");

  it("states the layout this suite computes: the id test vector and the three key shapes", () => {
    const v = LINKDEF_ID_TEST_VECTOR;
    for (const fact of [
      v.id,
      v.actorId,
      v.contractId,
      "`LINKDEF_{id}`",
      "`CLAIMS_{sub}`",
      "`REFMAP_{",
      "LATTICEDATA_{prefix}",
    ]) {
      expect(doc, fact).toContain(fact);
    }
  });

  it("is where every mention of the wire formats document points", () => {
    const stray = [join(REPO, "packages"), join(REPO, "apps")]
      .flatMap(projectFiles)
      .flatMap((path) =>
        [...readFileSync(path, "utf8").matchAll(/[\w./-]*wire-formats\.md/g)]
          .filter((m) => !m[0].endsWith("docs/wire-formats.md"))
          .map((m) => `${path.slice(REPO.length)}: ${m[0]}`),
      );
    expect(stray).toEqual([]);
  });
});
