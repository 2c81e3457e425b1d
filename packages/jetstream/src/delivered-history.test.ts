// What a resuming feed replays and how it judges the replay (the server side: history-rewrite.test.ts).
import { headers } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { DeliveredHistory, REMEMBERED_DELIVERIES } from "./delivered-history.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const subject = (key: string) => `$KV.LATTICEDATA_t.${key}`;

function withHeaders(entries: Record<string, string>) {
  const h = headers();
  for (const [name, value] of Object.entries(entries)) h.set(name, value);
  return h;
}

describe("where a resuming feed starts its consumer", () => {
  it("just after the cursor when nothing up to it is remembered", () => {
    const history = new DeliveredHistory();
    expect(history.replayStart(41)).toBe(42);
    history.record(50, subject("CLAIMS_MA"), undefined, bytes("{}"));
    expect(history.replayStart(41)).toBe(42);
  });

  it("at the oldest remembered delivery up to the cursor, so the stream replays them", () => {
    const history = new DeliveredHistory();
    for (const sequence of [3, 7, 8, 12])
      history.record(sequence, subject(`K${sequence}`), undefined, bytes("x"));
    expect(history.replayStart(12)).toBe(3);
    expect(history.replayStart(10)).toBe(3);
  });

  it(`remembers the last ${REMEMBERED_DELIVERIES} deliveries and replays no further than 1000 revisions back`, () => {
    const history = new DeliveredHistory();
    for (let sequence = 1; sequence <= 40; sequence++)
      history.record(sequence, subject("K"), undefined, bytes("x"));
    expect(history.replayStart(40)).toBe(40 - REMEMBERED_DELIVERIES + 1);

    const sparse = new DeliveredHistory();
    sparse.record(10, subject("OLD"), undefined, bytes("x"));
    sparse.record(2_000, subject("NEW"), undefined, bytes("x"));
    expect(sparse.replayStart(2_000)).toBe(2_000);
  });

  it("starts after the cursor again once cleared (a feed from an empty replica)", () => {
    const history = new DeliveredHistory();
    history.record(5, subject("K"), undefined, bytes("x"));
    history.clear();
    expect(history.replayStart(5)).toBe(6);
  });
});

describe("judging a replayed message", () => {
  const history = new DeliveredHistory();
  history.record(6, subject("CLAIMS_MA"), withHeaders({ "Nats-Msg-Id": "w1" }), bytes('{"sub":"MA"}'));
  history.record(7, subject("CLAIMS_MB"), withHeaders({ "KV-Operation": "DEL" }), bytes(""));

  it("the same message is no difference; an unremembered sequence proves nothing", () => {
    expect(
      history.differenceAt(
        6,
        subject("CLAIMS_MA"),
        withHeaders({ "Nats-Msg-Id": "w1" }),
        bytes('{"sub":"MA"}'),
      ),
    ).toBeUndefined();
    expect(
      history.differenceAt(7, subject("CLAIMS_MB"), withHeaders({ "KV-Operation": "DEL" }), bytes("")),
    ).toBeUndefined();
    expect(history.differenceAt(5, subject("CLAIMS_MZ"), undefined, bytes("?"))).toBeUndefined();
  });

  it("another key, operation, write or value at a delivered sequence means the history was rewritten", () => {
    const ma = withHeaders({ "Nats-Msg-Id": "w1" });
    expect(history.differenceAt(6, subject("CLAIMS_MC"), ma, bytes('{"sub":"MA"}'))).toMatch(
      /^the stream's history was rewritten: revision 6 was delivered as \$KV\.LATTICEDATA_t\.CLAIMS_MA \(12 bytes, write w1\); the stream now holds \$KV\.LATTICEDATA_t\.CLAIMS_MC .*\(another key\)$/,
    );
    expect(history.differenceAt(7, subject("CLAIMS_MB"), undefined, bytes("{}"))).toMatch(
      /\(another operation\)$/,
    );
    expect(
      history.differenceAt(
        6,
        subject("CLAIMS_MA"),
        withHeaders({ "Nats-Msg-Id": "w2" }),
        bytes('{"sub":"MA"}'),
      ),
    ).toMatch(/\(another write\)$/);
    expect(history.differenceAt(6, subject("CLAIMS_MA"), ma, bytes('{"sub":"MB"}'))).toMatch(
      /\(another value\)$/,
    );
  });
});
