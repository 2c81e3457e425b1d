import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidKeyError } from "./errors.js";
import {
  assertKeySafe,
  claimsKey,
  collectionOfKey,
  linkdefId,
  linkdefKey,
  MAX_KEY_LENGTH,
  ociUrlFromRefmapKey,
  refmapKey,
} from "./keys.js";

describe("generation-3 key codecs (docs/wire-formats.md)", () => {
  it("hashes a link definition id exactly like wasmCloud hosts (published test vector)", () => {
    expect(linkdefId("Mbob", "wasmcloud:testy", "default")).toBe(
      "B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C",
    );
    expect(linkdefKey("Mbob", "wasmcloud:testy", "default")).toBe(
      "LINKDEF_B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C",
    );
  });

  it("hashes each part's UTF-8 on its own, also when a surrogate pair would form across a boundary", () => {
    const parts = (a: string, c: string, l: string) =>
      createHash("sha256").update(a).update(c).update(l).digest("hex").toUpperCase();
    for (const [a, c, l] of [
      ["M\ud83d", "\ude00wasmcloud:kv", "default"], // a pair split between actor and contract
      ["Mbob", "wasmcloud:kv\ud83d", "\ude00"], // between contract and link name
      ["Mbob😀", "wasmcloud:kv", "naïve"], // whole characters: the joined text hashes the same
    ] as const) {
      expect(linkdefId(a, c, l)).toBe(parts(a, c, l));
    }
  });

  it("keys claims by sub and refmaps by unpadded base64url of the OCI URL", () => {
    expect(claimsKey("MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5")).toBe(
      "CLAIMS_MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5",
    );
    const url = "wasmcloud.azurecr.io/echo:0.3.4";
    const key = refmapKey(url);
    expect(key).toBe(`REFMAP_${Buffer.from(url).toString("base64url")}`);
    expect(key).not.toContain("=");
    expect(ociUrlFromRefmapKey(key)).toBe(url);
  });

  it("tells which collection a key belongs to, and ignores foreign keys", () => {
    expect(collectionOfKey("LINKDEF_AB")).toBe("linkdefs");
    expect(collectionOfKey("CLAIMS_X")).toBe("claims");
    expect(collectionOfKey("REFMAP_eA")).toBe("refmaps");
    expect(collectionOfKey("LATTICE_OTHER")).toBeUndefined();
    expect(collectionOfKey("")).toBeUndefined();
  });
});

describe("keys that break NATS subject rules are refused before anything is sent", () => {
  for (const [bad, why] of [
    ["", "empty"],
    ["a.b", "'.'"],
    ["a*", "'*'"],
    ["a>", "'>'"],
    ["a b", "whitespace"],
    ["tab\there", "whitespace"],
  ] as const) {
    it(`refuses ${JSON.stringify(bad)} saying ${why}`, () => {
      const error = (() => {
        try {
          assertKeySafe(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidKeyError);
      expect((error as InvalidKeyError).code).toBe("INVALID_KEY");
      expect((error as InvalidKeyError).message).toContain(why);
    });
  }

  it("refuses a claims sub with a dot", () => {
    expect(() => claimsKey("M.BAD")).toThrow(InvalidKeyError);
  });

  it("refuses keys longer than MAX_KEY_LENGTH, with a message that does not repeat the whole key", () => {
    const long = "M".repeat(MAX_KEY_LENGTH + 1);
    expect(() => assertKeySafe(long)).toThrow(/over the maximum of 1024/);
    try {
      assertKeySafe(long);
    } catch (error) {
      expect((error as InvalidKeyError).message.length).toBeLessThan(300);
    }
    expect(() => refmapKey(`oci://${"x".repeat(1000)}`)).not.toThrow(); // the refmap key itself is checked on write
  });
});
