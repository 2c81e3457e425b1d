// What a resuming feed remembers and how it judges the change log's entries at those revisions (the server side:
// history-rewrite.test.ts).
import { describe, expect, it } from "vitest";
import { DeliveredChanges, REMEMBERED_CHANGES, rewriteOf } from "./delivered-change.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const put = { key: "CLAIMS_MA", value: bytes('{"sub":"MA"}'), revision: 6, origin: "h1" };

describe("the last delivered changes", () => {
  it("are remembered at or below the position, newest first, and forgotten on clear", () => {
    const delivered = new DeliveredChanges();
    expect(delivered.upTo(10)).toEqual([]);
    delivered.note({ ...put, revision: 4 });
    delivered.note(put);
    delivered.note({ ...put, revision: 5 });
    expect(delivered.upTo(6).map((e) => e.revision)).toEqual([6, 5, 4]);
    expect(delivered.upTo(5).map((e) => e.revision)).toEqual([5, 4]);
    delivered.clear();
    expect(delivered.upTo(6)).toEqual([]);
  });

  it(`keeps only the last ${REMEMBERED_CHANGES}`, () => {
    const delivered = new DeliveredChanges();
    for (let revision = 1; revision <= 40; revision++) delivered.note({ ...put, revision });
    const kept = delivered.upTo(40).map((e) => e.revision);
    expect(kept).toHaveLength(REMEMBERED_CHANGES);
    expect(kept[0]).toBe(40);
    expect(kept.at(-1)).toBe(40 - REMEMBERED_CHANGES + 1);
  });
});

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
