// Rules cited here: docs/semantics.md#rule-6.
import { headers } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { HEADERS, isTombstone, toBackendEntry } from "./kv-message.js";

const layout = new BucketLayout("default");
const bytes = new TextEncoder().encode('{"oci_url":"x","public_key":"y"}');

describe("rule 6: deletes are tombstones — both KV marker kinds", () => {
  it("KV-Operation: DEL and PURGE both mean the key is deleted (value null)", () => {
    for (const op of ["DEL", "PURGE"]) {
      const h = headers();
      h.set(HEADERS.operation, op);
      expect(isTombstone(h)).toBe(true);
      expect(
        toBackendEntry(layout, "$KV.LATTICEDATA_default.REFMAP_x", 9, h, new Uint8Array())?.value,
      ).toBeNull();
    }
  });

  it("a server-written marker (Nats-Marker-Reason, servers ≥ 2.11) is a deletion too", () => {
    const h = headers();
    h.set(HEADERS.markerReason, "MaxAge");
    expect(isTombstone(h)).toBe(true);
  });

  it("a plain put (no headers, as real hosts write it) carries its bytes and no origin", () => {
    expect(isTombstone(undefined)).toBe(false);
    expect(toBackendEntry(layout, "$KV.LATTICEDATA_default.REFMAP_x", 3, undefined, bytes)).toEqual({
      key: "REFMAP_x",
      value: bytes,
      revision: 3,
    });
  });

  it("our writes carry the origin header", () => {
    const h = headers();
    h.set(HEADERS.origin, "host-a");
    expect(toBackendEntry(layout, "$KV.LATTICEDATA_default.CLAIMS_M", 4, h, bytes)?.origin).toBe("host-a");
  });

  it("a subject outside the bucket is not an entry", () => {
    expect(toBackendEntry(layout, "$KV.OTHER.CLAIMS_M", 4, undefined, bytes)).toBeUndefined();
  });
});
