// Rules cited here: docs/semantics.md#rule-11.
import { linkdefKey } from "@lattice-cache/core";
import { decode, encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import {
  decodeLegacyList,
  decodeLegacyMessage,
  encodeLegacyList,
  encodeLegacyMessage,
  storageBytesOf,
} from "./legacy-wire-codec.js";

const linkdefWire = {
  actor_id: "Mbob",
  provider_id: "VKV",
  link_name: "default",
  contract_id: "wasmcloud:testy",
  values: { url: "redis://x" },
};

describe("generation 1 payloads are MessagePack maps in the wire shape", () => {
  it("decodes a link definition without id and computes the id as real hosts do", () => {
    const decoded = decodeLegacyMessage("linkdefs", encode(linkdefWire));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.record.key).toBe(
      "LINKDEF_B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C",
    );
    expect(decoded.record.key).toBe(linkdefKey("Mbob", "wasmcloud:testy", "default"));
    expect(decoded.record.value).toMatchObject(linkdefWire);
  });

  it("encodes a link definition without id, as old hosts sent it", () => {
    const decoded = decodeLegacyMessage("linkdefs", encode(linkdefWire));
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decode(encodeLegacyMessage(decoded.record))).toEqual(linkdefWire);
  });

  it("accepts claims with array lists and a numeric rev, and re-emits the string forms", () => {
    const decoded = decodeLegacyMessage(
      "claims",
      encode({
        sub: "MECHO",
        caps: ["wasmcloud:httpserver", "wasmcloud:keyvalue"],
        tags: [],
        rev: 3,
        name: "echo",
      }),
    );
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.record.key).toBe("CLAIMS_MECHO");
    expect(decode(encodeLegacyMessage(decoded.record))).toEqual({
      call_alias: "",
      iss: "",
      name: "echo",
      caps: "wasmcloud:httpserver,wasmcloud:keyvalue",
      rev: "3",
      tags: "",
      version: "",
      sub: "MECHO",
    });
  });

  it("stores core's canonical JSON bytes for a decoded value", () => {
    const decoded = decodeLegacyMessage(
      "refmaps",
      encode({ oci_url: "reg.example/echo:1", public_key: "MECHO" }),
    );
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(new TextDecoder().decode(storageBytesOf(decoded.record))).toBe(
      '{"oci_url":"reg.example/echo:1","public_key":"MECHO"}',
    );
  });
});

describe("rule 11: undecodable or invalid messages are refused, never thrown", () => {
  it.each([
    ["an empty payload", new Uint8Array()],
    ["bytes that are not MessagePack", new Uint8Array([0xc1, 0xff])],
    ["a MessagePack string instead of a map", encode("hello")],
    ["a map missing required fields", encode({ actor_id: "Mbob" })],
    ["a map with a wrongly typed field", encode({ ...linkdefWire, values: { n: 1 } })],
    ["JSON instead of MessagePack", new TextEncoder().encode(JSON.stringify(linkdefWire))],
  ])("%s", (_name, payload) => {
    const decoded = decodeLegacyMessage("linkdefs", payload);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
  });

  it("a .get reply keeps its valid items and counts the invalid ones", () => {
    const reply = encode([linkdefWire, { actor_id: "x" }, "junk", { ...linkdefWire, actor_id: "Malice" }]);
    const decoded = decodeLegacyList("linkdefs", reply);
    expect(decoded.records.map((r) => (r.collection === "linkdefs" ? r.value.actor_id : ""))).toEqual([
      "Mbob",
      "Malice",
    ]);
    expect(decoded.invalid).toBe(2);
  });

  it("a .get reply that is not an array counts as one invalid reply", () => {
    expect(decodeLegacyList("claims", encode({ sub: "M" }))).toMatchObject({ records: [], invalid: 1 });
    expect(decodeLegacyList("claims", new Uint8Array([0xc1]))).toMatchObject({ records: [], invalid: 1 });
  });

  it("a .get reply round-trips through encodeLegacyList", () => {
    const decoded = decodeLegacyList("linkdefs", encode([linkdefWire]));
    expect(decode(encodeLegacyList(decoded.records))).toEqual([linkdefWire]);
  });
});
