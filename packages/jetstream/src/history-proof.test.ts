// The history proof of a resuming feed, for JetStream messages: where its consumer starts (core's
// FeedProtocol.proofStart over the backend's RecentDeliveries) and how a replayed message is judged
// (checkStored, with the message turned into a change by `toBackendEntry`). The server side:
// history-rewrite.test.ts.
import {
  DEFAULT_REMEMBERED_DELIVERIES,
  type DeliveredChange,
  FeedProtocol,
  type FeedSink,
  MAX_PROOF_SPAN,
  RecentDeliveries,
  silentLogger,
} from "@lattice-cache/core/backend";
import { headers, type MsgHdrs } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { BucketLayout } from "./bucket-layout.js";
import { toBackendEntry } from "./kv-message.js";

const layout = new BucketLayout("t");
const bytes = (text: string) => new TextEncoder().encode(text);

function withHeaders(entries: Record<string, string>): MsgHdrs {
  const h = headers();
  for (const [name, value] of Object.entries(entries)) h.set(name, value);
  return h;
}

/** A stored message at `revision`, as the feed turns it into a change. */
function message(revision: number, key: string, data: Uint8Array, h?: MsgHdrs): DeliveredChange {
  return toBackendEntry(layout, layout.keySubject(key), revision, h, data) as DeliveredChange;
}

/** A feed resuming after `position` on the backend's shared deliveries; its gaps are recorded. */
function resuming(recent: RecentDeliveries, position: number) {
  const gaps: string[] = [];
  const sink: FeedSink = {
    entry: () => {},
    synced: () => {},
    gap: (r) => gaps.push(r),
    connection: () => {},
  };
  const protocol = new FeedProtocol({
    from: { revision: position, epoch: "e1" },
    sink,
    recent,
    store: `bucket ${layout.bucket}`,
    logger: silentLogger,
  });
  return { protocol, gaps };
}

describe("where a resuming feed starts its consumer", () => {
  it("just after the position when nothing up to it is remembered", () => {
    const recent = new RecentDeliveries();
    expect(resuming(recent, 41).protocol.proofStart()).toBe(42);
    recent.note(message(50, "CLAIMS_MA", bytes("{}")));
    expect(resuming(recent, 41).protocol.proofStart()).toBe(42);
  });

  it("at the oldest remembered delivery up to the position, so the stream replays them", () => {
    const recent = new RecentDeliveries();
    for (const sequence of [3, 7, 8, 12]) recent.note(message(sequence, `K${sequence}`, bytes("x")));
    expect(resuming(recent, 12).protocol.proofStart()).toBe(3);
    expect(resuming(recent, 10).protocol.proofStart()).toBe(3);
  });

  it(`issue 22 item 3: replays every delivery since the last proof, however many, no further than ${MAX_PROOF_SPAN} revisions back`, () => {
    const recent = new RecentDeliveries();
    for (let sequence = 1; sequence <= 40; sequence++) recent.note(message(sequence, "K", bytes("x")));
    expect(resuming(recent, 40).protocol.proofStart()).toBe(1);
    // A replay that matched up to 30 proved it: 30 stays as the anchor, 31–40 are still to prove.
    recent.proven(30);
    expect(resuming(recent, 40).protocol.proofStart()).toBe(30);
    expect(DEFAULT_REMEMBERED_DELIVERIES).toBeGreaterThanOrEqual(MAX_PROOF_SPAN);

    const sparse = new RecentDeliveries();
    sparse.note(message(10, "OLD", bytes("x")));
    sparse.note(message(2_000, "NEW", bytes("x")));
    expect(resuming(sparse, 2_000).protocol.proofStart()).toBe(2_000);
  });

  it("starts after the position again once a snapshot feed cleared the deliveries (an empty replica)", () => {
    const recent = new RecentDeliveries();
    recent.note(message(5, "K", bytes("x")));
    resuming(recent, 0);
    expect(resuming(recent, 5).protocol.proofStart()).toBe(6);
  });
});

describe("judging a replayed message", () => {
  const delivered = () => {
    const recent = new RecentDeliveries();
    recent.note(message(6, "CLAIMS_MA", bytes('{"sub":"MA"}'), withHeaders({ "Nats-Msg-Id": "w1" })));
    recent.note(message(7, "CLAIMS_MB", bytes(""), withHeaders({ "KV-Operation": "DEL" })));
    return resuming(recent, 7);
  };

  it("the same message is no difference; an unremembered or trimmed sequence proves nothing", () => {
    const { protocol, gaps } = delivered();
    const ma = withHeaders({ "Nats-Msg-Id": "w1" });
    expect(protocol.checkStored(6, message(6, "CLAIMS_MA", bytes('{"sub":"MA"}'), ma))).toBe(true);
    const del = withHeaders({ "KV-Operation": "DEL" });
    expect(protocol.checkStored(7, message(7, "CLAIMS_MB", bytes(""), del))).toBe(true);
    expect(protocol.checkStored(5, message(5, "CLAIMS_MZ", bytes("?")))).toBe(true);
    expect(protocol.checkStored(6, undefined)).toBe(true);
    expect(gaps).toEqual([]);
  });

  it("another key at a delivered sequence means the history was rewritten: a gap naming the message the store holds now", () => {
    const { protocol, gaps } = delivered();
    const ma = withHeaders({ "Nats-Msg-Id": "w1" });
    expect(protocol.checkStored(6, message(6, "CLAIMS_MC", bytes('{"sub":"MA"}'), ma))).toBe(false);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatch(
      /^the history was rewritten: revision 6 was delivered as a change of 12 bytes; the store now holds CLAIMS_MC .*\(another key\)$/,
    );
    expect(protocol.stopped).toBe(true);
  });

  it.each([
    ["another operation", 7, message(7, "CLAIMS_MB", bytes("{}"))],
    [
      "another write",
      6,
      message(6, "CLAIMS_MA", bytes('{"sub":"MA"}'), withHeaders({ "Nats-Msg-Id": "w2" })),
    ],
    [
      // The write id names the bytes (one id per write, the same bytes on every retry): their length differs.
      "another value",
      6,
      message(6, "CLAIMS_MA", bytes('{"sub":"MBB"}'), withHeaders({ "Nats-Msg-Id": "w1" })),
    ],
    [
      "another writer",
      6,
      message(
        6,
        "CLAIMS_MA",
        bytes('{"sub":"MA"}'),
        withHeaders({ "Nats-Msg-Id": "w1", "Lattice-Origin": "host-b" }),
      ),
    ],
  ] as const)("%s at a delivered sequence means the history was rewritten", (what, revision, stored) => {
    const { protocol, gaps } = delivered();
    expect(protocol.checkStored(revision, stored)).toBe(false);
    expect(gaps[0]).toMatch(new RegExp(`\\(${what}\\)$`));
  });
});
