import { describe, expect, it } from "vitest";
import { claimsCodec, splitClaimList } from "./claims.js";
import { InvalidEntryError, InvalidKeyError } from "./errors.js";
import { linkdefsCodec } from "./linkdefs.js";
import { refmapsCodec } from "./refmaps.js";

const bytes = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const json = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
const VECTOR_KEY = "LINKDEF_B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C";

function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEntryError);
    return (error as InvalidEntryError).issues;
  }
  throw new Error("expected an InvalidEntryError");
}

describe("link definitions", () => {
  it("reads a link definition a real host wrote without an id, computing it", () => {
    const v = linkdefsCodec.decode(
      bytes({
        actor_id: "Mbob",
        provider_id: "Vprov",
        link_name: "default",
        contract_id: "wasmcloud:testy",
        values: { a: "1" },
      }),
      VECTOR_KEY,
    );
    expect(v.id).toBe(VECTOR_KEY.slice("LINKDEF_".length));
    expect(v.values).toEqual({ a: "1" });
  });

  it("writes the wire shape with fields in wasmCloud's order", () => {
    const v = linkdefsCodec.parse({ actor_id: "Mbob", provider_id: "Vprov", contract_id: "wasmcloud:testy" });
    expect(Object.keys(json(linkdefsCodec.encode(v)))).toEqual([
      "id",
      "actor_id",
      "provider_id",
      "link_name",
      "contract_id",
      "values",
    ]);
    expect(v.link_name).toBe("default");
    expect(linkdefsCodec.keyOfValue(v)).toBe(VECTOR_KEY);
  });

  it("refuses a value stored under a key it does not hash to", () => {
    const issues = issuesOf(() =>
      linkdefsCodec.decode(bytes({ actor_id: "Mother", provider_id: "V", contract_id: "c" }), VECTOR_KEY),
    );
    expect(issues[0]).toContain("hashes to");
  });

  it("names every bad field", () => {
    const issues = issuesOf(() => linkdefsCodec.parse({ actor_id: 7, contract_id: "", values: { n: 1 } }));
    expect(issues.join("\n")).toMatch(/"actor_id" must be a non-empty string \(got number\)/);
    expect(issues.join("\n")).toMatch(/"provider_id"/);
    expect(issues.join("\n")).toMatch(/"contract_id" must not be empty/);
    expect(issues.join("\n")).toMatch(/"values.n" must be a string/);
  });

  it("refuses non-JSON and non-object values", () => {
    expect(issuesOf(() => linkdefsCodec.decode(bytes("{nope"), VECTOR_KEY))[0]).toMatch(/not JSON/);
    expect(issuesOf(() => linkdefsCodec.decode(bytes("[1]"), VECTOR_KEY))[0]).toMatch(
      /JSON object \(got array\)/,
    );
    expect(issuesOf(() => linkdefsCodec.decode(new Uint8Array([0xff, 0xfe]), VECTOR_KEY))[0]).toMatch(
      /UTF-8/,
    );
  });
});

describe("claims: tolerant in, canonical out", () => {
  const sub = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

  it("accepts comma strings and arrays, numeric and string rev; writes comma strings and a string rev", () => {
    const fromArrays = claimsCodec.parse({
      sub,
      caps: ["wasmcloud:httpserver", "wasmcloud:keyvalue"],
      tags: [],
      rev: 3,
    });
    const fromStrings = claimsCodec.parse({
      sub,
      caps: "wasmcloud:httpserver,wasmcloud:keyvalue",
      tags: "",
      rev: "3",
    });
    expect(fromArrays).toEqual(fromStrings);
    expect(json(claimsCodec.encode(fromArrays))).toEqual({
      call_alias: "",
      iss: "",
      name: "",
      caps: "wasmcloud:httpserver,wasmcloud:keyvalue",
      rev: "3",
      tags: "",
      version: "",
      sub,
    });
    expect(splitClaimList(fromArrays.caps)).toEqual(["wasmcloud:httpserver", "wasmcloud:keyvalue"]);
    expect(splitClaimList("")).toEqual([]);
  });

  it('treats a null call_alias as empty and a missing rev as "0"', () => {
    const v = claimsCodec.parse({ sub, call_alias: null });
    expect(v.call_alias).toBe("");
    expect(v.rev).toBe("0");
  });

  it("refuses a bad rev, a non-string list and a sub that does not match its key", () => {
    expect(issuesOf(() => claimsCodec.parse({ sub, rev: "x1" }))[0]).toMatch(/"rev"/);
    expect(issuesOf(() => claimsCodec.parse({ sub, caps: [1, 2] }))[0]).toMatch(/"caps"/);
    expect(issuesOf(() => claimsCodec.decode(bytes({ sub }), "CLAIMS_OTHER"))[0]).toMatch(
      /does not match the key/,
    );
  });

  it("refuses a sub that would break NATS subject rules with InvalidKeyError, as get and delete do", () => {
    expect(() => claimsCodec.parse({ sub: "a.b" })).toThrow(InvalidKeyError);
    expect(() => claimsCodec.parse({ sub: "a.b" })).toThrow(/'\.'/);
  });
});

describe("OCI reference maps", () => {
  it("round-trips and checks the key", () => {
    const v = refmapsCodec.parse({ oci_url: "ghcr.io/x/y:1", public_key: "MABC" });
    const key = refmapsCodec.keyOfValue(v);
    expect(refmapsCodec.decode(refmapsCodec.encode(v), key)).toEqual(v);
    expect(issuesOf(() => refmapsCodec.decode(refmapsCodec.encode(v), "REFMAP_eA"))[0]).toMatch(
      /does not match/,
    );
    expect(issuesOf(() => refmapsCodec.parse({ oci_url: "x" }))[0]).toMatch(/"public_key"/);
  });
});
