import { linkdefKey, refmapKey } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import { parseGeneration2Message } from "./generation2-message.js";

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe("generation 2 stream messages", () => {
  it("a link definition gets its id recomputed, whatever the subject and body say", () => {
    const parsed = parseGeneration2Message(
      "default",
      "lc.default.linkdefs.5f0c1d8e-random-uuid",
      json({
        id: "5f0c1d8e-random-uuid",
        actor_id: "Mbob",
        provider_id: "VKV",
        link_name: "default",
        contract_id: "wasmcloud:testy",
        values: {},
        deleted: false,
      }),
    );
    expect(parsed).toMatchObject({
      kind: "record",
      record: { key: linkdefKey("Mbob", "wasmcloud:testy", "default") },
    });
    if (parsed.kind === "record") expect(parsed.record.value).not.toHaveProperty("deleted");
  });

  it("a link definition marked deleted is reported as a deletion of its natural key", () => {
    const parsed = parseGeneration2Message(
      "default",
      "lc.default.linkdefs.X",
      json({ actor_id: "Mbob", provider_id: "VKV", contract_id: "wasmcloud:testy", deleted: true }),
    );
    expect(parsed).toEqual({ kind: "deleted", key: linkdefKey("Mbob", "wasmcloud:testy", "default") });
  });

  it("claims, refmap and the older ocimap subjects are read", () => {
    expect(
      parseGeneration2Message("p", "lc.p.claims.MECHO", json({ sub: "MECHO", caps: ["a"], rev: 1 })),
    ).toMatchObject({
      kind: "record",
      record: { key: "CLAIMS_MECHO", value: { caps: "a", rev: "1" } },
    });
    for (const kind of ["refmap", "ocimap"]) {
      expect(
        parseGeneration2Message(
          "p",
          `lc.p.${kind}.cmVn`,
          json({ oci_url: "reg/echo:1", public_key: "MECHO" }),
        ),
      ).toMatchObject({ kind: "record", record: { key: refmapKey("reg/echo:1") } });
    }
  });

  it("refuses unknown subjects, non-JSON bodies and invalid values", () => {
    expect(parseGeneration2Message("p", "lc.p.other.x", json({})).kind).toBe("invalid");
    expect(parseGeneration2Message("p", "lc.p.claims.M", new Uint8Array([0xff])).kind).toBe("invalid");
    expect(parseGeneration2Message("p", "lc.p.claims.M", json({ name: "no sub" })).kind).toBe("invalid");
    expect(parseGeneration2Message("p", "lc.q.claims.M", json({ sub: "M" })).kind).toBe("invalid");
  });
});
