// The `lattice apply` file: its shapes, its validation (every problem, with its place), and the diff.
import { claimsKey, linkdefKey, refmapKey } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import { readApplyDocument } from "./apply-document.js";
import { planApply } from "./apply-plan.js";

const MAX = 1024 * 1024;
const BIG = `ghcr.io/${"x".repeat(200)}:1`;

describe("readApplyDocument", () => {
  it("reads refmaps as a map or as a list, and keys every item", () => {
    const map = readApplyDocument("refmaps:\n  ghcr.io/a:1: MA\n", "f.yaml", MAX);
    const list = readApplyDocument(
      '{"refmaps": [{"oci_url": "ghcr.io/a:1", "public_key": "MA"}]}',
      "f.json",
      MAX,
    );
    expect(map.problems).toEqual([]);
    expect(map.items).toEqual([
      {
        collection: "refmaps",
        key: refmapKey("ghcr.io/a:1"),
        position: 'refmaps["ghcr.io/a:1"]',
        value: { oci_url: "ghcr.io/a:1", public_key: "MA" },
      },
    ]);
    expect(list.items.map((i) => [i.key, i.position])).toEqual([[refmapKey("ghcr.io/a:1"), "refmaps[0]"]]);
  });

  it("an empty file holds nothing to apply", () => {
    expect(readApplyDocument("", "f.yaml", MAX)).toEqual({ items: [], problems: [] });
  });

  it("reports every problem with its line, in file order: schema, ids, size, duplicates, unknown fields", () => {
    const text = [
      "{",
      '  "claims": [',
      '    { "sub": "MA", "name": "x" },',
      '    { "sub": "MA", "name": "again" },',
      '    { "sub": "M A" }',
      "  ],",
      '  "linkdefs": [{ "actor_id": "Ma.b", "provider_id": "V", "contract_id": "c" }],',
      `  "refmaps": { "${BIG}": "MBIG" },`,
      '  "services": []',
      "}",
    ].join("\n");
    const doc = readApplyDocument(text, "f.json", 200);
    expect(doc.items.map((i) => i.key)).toEqual([claimsKey("MA")]);
    expect(doc.problems.map((p) => [p.line, p.position])).toEqual([
      [4, "claims[1]"],
      [5, "claims[2]"],
      [7, "linkdefs[0]"],
      [8, `refmaps["${BIG}"]`],
      [9, "services"],
    ]);
    expect(doc.problems[0]?.message).toBe(`names the same entry as claims[0] (${claimsKey("MA")})`);
    expect(doc.problems[2]?.message).toContain("actor_id contains '.'");
    expect(doc.problems[3]?.message).toContain("over the maximum of 200 bytes");
  });
});

describe("planApply", () => {
  const { items } = readApplyDocument(
    "linkdefs:\n  - { actor_id: Ma, provider_id: Vp, contract_id: c, values: { a: '1', b: '2' } }\n",
    "f.yaml",
    MAX,
  );

  it("adds what is absent, diffs nested fields of what differs, and leaves what is equal", () => {
    const stored = (values: Record<string, string>, provider = "Vp") => ({
      id: linkdefKey("Ma", "c", "default").slice("LINKDEF_".length),
      actor_id: "Ma",
      provider_id: provider,
      contract_id: "c",
      link_name: "default",
      values,
    });
    expect(planApply(items, () => undefined)[0]).toMatchObject({ action: "added", changes: [] });
    expect(planApply(items, () => stored({ a: "1", b: "2" }))[0]).toMatchObject({ action: "unchanged" });
    expect(planApply(items, () => stored({ a: "0", c: "3" }, "Vold"))[0]).toEqual({
      item: items[0],
      action: "changed",
      changes: [
        { field: "provider_id", from: "Vold", to: "Vp" },
        { field: "values.a", from: "0", to: "1" },
        { field: "values.c", from: "3" },
        { field: "values.b", to: "2" },
      ],
    });
  });
});
