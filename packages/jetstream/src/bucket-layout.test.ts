import { describe, expect, it } from "vitest";
import { apiPrefixFor, BucketLayout, bucketName, streamName } from "./bucket-layout.js";

describe("storage layout of wasmCloud hosts (generation 3)", () => {
  it("names the bucket LATTICEDATA_{prefix} and its stream KV_LATTICEDATA_{prefix}", () => {
    expect(bucketName("default")).toBe("LATTICEDATA_default");
    expect(streamName(bucketName("prod-1"))).toBe("KV_LATTICEDATA_prod-1");
    const layout = new BucketLayout("default");
    expect(layout.bucket).toBe("LATTICEDATA_default");
    expect(layout.stream).toBe("KV_LATTICEDATA_default");
  });

  it("stores a key under $KV.{bucket}.{key} and reads the key back from a subject", () => {
    const layout = new BucketLayout("default");
    expect(layout.filterSubject).toBe("$KV.LATTICEDATA_default.>");
    expect(layout.keySubject("CLAIMS_MABC")).toBe("$KV.LATTICEDATA_default.CLAIMS_MABC");
    expect(layout.keyOf("$KV.LATTICEDATA_default.REFMAP_abc")).toBe("REFMAP_abc");
    expect(layout.keyOf("$KV.LATTICEDATA_other.REFMAP_abc")).toBeUndefined();
  });

  it("without a domain, writes go straight to the key's subject", () => {
    const layout = new BucketLayout("default", apiPrefixFor(undefined));
    expect(layout.editSubject("LINKDEF_X")).toBe("$KV.LATTICEDATA_default.LINKDEF_X");
  });

  it("with a JetStream domain, only writes use the domain's API prefix; the stream's subjects never contain it", () => {
    const layout = new BucketLayout("default", apiPrefixFor("hub"));
    expect(apiPrefixFor("hub")).toBe("$JS.hub.API");
    expect(layout.editSubject("LINKDEF_X")).toBe("$JS.hub.API.$KV.LATTICEDATA_default.LINKDEF_X");
    expect(layout.filterSubject).toBe("$KV.LATTICEDATA_default.>");
    expect(layout.keySubject("LINKDEF_X")).toBe("$KV.LATTICEDATA_default.LINKDEF_X");
  });
});
