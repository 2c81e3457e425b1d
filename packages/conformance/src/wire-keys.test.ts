// The suite's own key computations must match wire-formats.md, independently of core.
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
