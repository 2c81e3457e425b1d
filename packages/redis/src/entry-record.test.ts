// The entries-hash record and the change-log entry codecs, without a server.
// Rules cited here: docs/semantics.md#rule-6.
import { describe, expect, it } from "vitest";
import { decodeChangeLogEntry, revisionOfStreamId } from "./change-log-entry.js";
import { decodeEntryRecord, encodeEntryRecord } from "./entry-record.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("entry record: `<revision>:<kind>:<origin length>:<origin><value>`", () => {
  it("round-trips a value, byte for byte, with its revision and origin", () => {
    const value = new Uint8Array([0x7b, 0x3a, 0x00, 0xff, 0x0a, 0x7d]);
    const raw = encodeEntryRecord({ revision: 42, value, origin: "host:1" });
    expect(raw.toString("latin1", 0, 12)).toBe("42:v:6:host:");
    expect(decodeEntryRecord(raw)).toEqual({ revision: 42, value, origin: "host:1" });
  });

  it("rule 6: a tombstone keeps its revision and has no value", () => {
    const raw = encodeEntryRecord({ revision: 7, value: null, origin: "h" });
    expect(raw.toString()).toBe("7:d:1:h");
    expect(decodeEntryRecord(raw)).toEqual({ revision: 7, value: null, origin: "h" });
  });

  it("rule 6: a tombstone carries its delete time after the origin; one an older release wrote has none", () => {
    const timed = encodeEntryRecord({ revision: 7, value: null, origin: "h", deletedAt: 1_767_225_600_000 });
    expect(timed.toString()).toBe("7:d:1:h1767225600000");
    expect(decodeEntryRecord(timed)).toEqual({
      revision: 7,
      value: null,
      origin: "h",
      deletedAt: 1_767_225_600_000,
    });
    expect(decodeEntryRecord(Buffer.from("7:d:1:h"))).not.toHaveProperty("deletedAt");
    expect(decodeEntryRecord(Buffer.from("7:d:1:hnot-a-time"))).toEqual({
      revision: 7,
      value: null,
      origin: "h",
    });
  });

  it("counts the origin in bytes, so non-ASCII host ids survive", () => {
    const raw = encodeEntryRecord({ revision: 1, value: bytes("{}"), origin: "hôst-☃" });
    expect(decodeEntryRecord(raw).origin).toBe("hôst-☃");
    expect(new TextDecoder().decode(decodeEntryRecord(raw).value ?? undefined)).toBe("{}");
  });

  it("refuses records something else wrote (the feed skips them instead of crashing)", () => {
    for (const junk of ["", "hello", "0:v:0:", "5:x:0:", "5:v:9:ab", "5:v:-1:", "abc:v:0:"]) {
      expect(() => decodeEntryRecord(Buffer.from(junk)), junk).toThrow(TypeError);
    }
  });
});

describe("change-log entry: stream id `<revision>-0`", () => {
  const field = (...pairs: string[]) => pairs.map((p) => Buffer.from(p));

  it("decodes a put with its revision from the id", () => {
    const entry = decodeChangeLogEntry(
      Buffer.from("12-0"),
      field(
        "op",
        "put",
        "key",
        "CLAIMS_M",
        "revision",
        "12",
        "origin",
        "h1",
        "epoch",
        "e1",
        "value",
        '{"a":1}',
      ),
    );
    expect(entry).toEqual({
      key: "CLAIMS_M",
      value: bytes('{"a":1}'),
      revision: 12,
      origin: "h1",
      epoch: "e1",
    });
  });

  it("decodes a delete as a tombstone", () => {
    const entry = decodeChangeLogEntry(
      "3-0",
      field("op", "del", "key", "LINKDEF_X", "origin", "h", "epoch", "e"),
    );
    expect(entry.value).toBeNull();
    expect(entry.revision).toBe(3);
  });

  it("refuses entries the write script did not make", () => {
    expect(() => decodeChangeLogEntry("1-0", field("key", "K"))).toThrow(TypeError);
    expect(() => decodeChangeLogEntry("x-0", field("op", "put", "key", "K"))).toThrow(TypeError);
    expect(revisionOfStreamId("1700000000000-3")).toBe(1_700_000_000_000);
  });
});
