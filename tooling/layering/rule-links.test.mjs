// Every source file that cites a numbered rule links it to docs/semantics.md, and every link names an anchor
// the document has: the rules have one home, and code points at it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const CITATION = /\b[Rr]ules?\s+(\d{1,2})/;
const LINK = /docs\/semantics\.md#rule-(\d{1,2})|#rule-(\d{1,2})/g;

function sources() {
  const listed = execFileSync("git", ["ls-files", "packages", "apps", "tooling"], {
    cwd: root,
    encoding: "utf8",
  });
  // Tracked files the working tree deleted cite nothing.
  return listed
    .split("\n")
    .filter((f) => /\.(ts|mjs|cjs)$/.test(f) && !f.includes("/dist/") && existsSync(join(root, f)));
}

test("each file that cites a rule links docs/semantics.md, and each linked rule has an anchor there", () => {
  const doc = readFileSync(join(root, "docs/semantics.md"), "utf8");
  const anchors = new Set([...doc.matchAll(/<a id="rule-(\d{1,2})">/g)].map((m) => Number(m[1])));
  for (let n = 1; n <= 12; n++) assert.ok(anchors.has(n), `docs/semantics.md has the anchor #rule-${n}`);
  const unlinked = [];
  for (const file of sources()) {
    if (file.endsWith("rule-links.test.mjs")) continue;
    const text = readFileSync(join(root, file), "utf8");
    if (!CITATION.test(text)) continue;
    const linkLine = text.split("\n").find((line) => line.includes("docs/semantics.md#rule-"));
    if (linkLine === undefined) {
      unlinked.push(file);
      continue;
    }
    for (const m of text.matchAll(LINK)) {
      const n = Number(m[1] ?? m[2]);
      assert.ok(anchors.has(n), `${file} links #rule-${n}, which docs/semantics.md does not have`);
    }
  }
  assert.deepEqual(unlinked, [], "files citing a rule without a docs/semantics.md#rule-N link");
});
