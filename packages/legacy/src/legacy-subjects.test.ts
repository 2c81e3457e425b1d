import { describe, expect, it } from "vitest";
import { legacySubjects } from "./legacy-subjects.js";

describe("generation 1 subjects", () => {
  const subjects = legacySubjects("default");

  it("names the collection subjects wasmbus.rpc.{prefix}.{collection}.{op}", () => {
    expect(subjects.of("claims", "put")).toBe("wasmbus.rpc.default.claims.put");
    expect(subjects.of("refmaps", "get")).toBe("wasmbus.rpc.default.refmaps.get");
    expect(subjects.of("linkdefs", "del")).toBe("wasmbus.rpc.default.linkdefs.del");
  });

  it("names the per-provider link definition subjects", () => {
    expect(subjects.providerLinkdef("VKV", "default", "put")).toBe(
      "wasmbus.rpc.default.VKV.default.linkdefs.put",
    );
    expect(subjects.providerLinkdef("VKV", "blue", "del")).toBe("wasmbus.rpc.default.VKV.blue.linkdefs.del");
  });

  it("refuses a per-provider subject whose tokens would break NATS", () => {
    expect(subjects.providerLinkdef("V*", "default", "put")).toBeUndefined();
    expect(subjects.providerLinkdef("VKV", "a b", "put")).toBeUndefined();
    expect(subjects.providerLinkdef("VKV", "", "put")).toBeUndefined();
  });

  it("parses collection subjects back and ignores everything else", () => {
    expect(subjects.parse("wasmbus.rpc.default.claims.put")).toEqual({
      collection: "claims",
      operation: "put",
    });
    expect(subjects.parse("wasmbus.rpc.default.VKV.default.linkdefs.put")).toBeUndefined();
    expect(subjects.parse("wasmbus.rpc.default.constructor.put")).toBeUndefined();
    expect(subjects.parse("wasmbus.rpc.other.claims.put")).toBeUndefined();
  });

  it("refuses a prefix NATS cannot carry", () => {
    for (const bad of ["", "a b", "a.*", ">", "a..b"]) {
      expect(() => legacySubjects(bad)).toThrow(expect.objectContaining({ code: "CONFIGURATION" }));
    }
  });
});
