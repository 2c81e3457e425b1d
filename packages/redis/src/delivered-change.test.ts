// How a resuming feed judges the change log's entries at the revisions it delivered (the server side:
// history-rewrite.test.ts).
import { describe, expect, it } from "vitest";
import { rewriteOf } from "./delivered-change.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const put = { key: "CLAIMS_MA", value: bytes('{"sub":"MA"}'), revision: 6, origin: "h1" };

describe("judging the change log's entry at a delivered revision", () => {
  it("the same change is no rewrite", () => {
    expect(rewriteOf(put, { ...put, value: bytes('{"sub":"MA"}'), epoch: "e" })).toBeUndefined();
  });

  it("another key, operation, writer or value means the history was rewritten", () => {
    expect(rewriteOf(put, { ...put, key: "CLAIMS_MB", epoch: "e" })).toBe(
      "the lattice's history was rewritten: revision 6 was delivered as CLAIMS_MA (12 bytes by h1); " +
        "the change log now holds CLAIMS_MB (12 bytes by h1) there (another key)",
    );
    expect(rewriteOf(put, { ...put, value: null, epoch: "e" })).toMatch(/\(another operation\)$/);
    expect(rewriteOf(put, { ...put, origin: "h2", epoch: "e" })).toMatch(/\(another writer\)$/);
    expect(rewriteOf(put, { ...put, value: bytes('{"sub":"MB"}'), epoch: "e" })).toMatch(
      /\(another value\)$/,
    );
  });
});
