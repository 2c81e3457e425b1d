import { describe, expect, it } from "vitest";
import { mergeLists } from "./legacy-state-collector.js";
import type { LegacyRecord } from "./legacy-wire-codec.js";

function refmap(url: string, key: string): LegacyRecord {
  return { collection: "refmaps", key: `REFMAP_${url}`, value: { oci_url: url, public_key: key } };
}

describe("merging the .get replies of several old hosts", () => {
  it("takes the union of what every host reported", () => {
    const merged = mergeLists([[refmap("a", "MA")], [refmap("b", "MB")], [refmap("a", "MA")]]);
    expect(merged.records.map((r) => r.key).sort()).toEqual(["REFMAP_a", "REFMAP_b"]);
    expect(merged.conflicts.size).toBe(0);
  });

  it("on drift, takes the value most replies carried and reports the conflict", () => {
    const merged = mergeLists([[refmap("a", "MOLD")], [refmap("a", "MNEW")], [refmap("a", "MNEW")]]);
    expect(merged.records).toEqual([refmap("a", "MNEW")]);
    expect(merged.conflicts.get("REFMAP_a")).toBe(2);
  });

  it("on a tie, takes the value heard last", () => {
    const merged = mergeLists([[refmap("a", "MFIRST")], [refmap("a", "MLAST")]]);
    expect(merged.records).toEqual([refmap("a", "MLAST")]);
  });

  it("one reply votes once per key", () => {
    const merged = mergeLists([
      [refmap("a", "MX"), refmap("a", "MX")],
      [refmap("a", "MY")],
      [refmap("a", "MY")],
    ]);
    expect(merged.records).toEqual([refmap("a", "MY")]);
  });
});
