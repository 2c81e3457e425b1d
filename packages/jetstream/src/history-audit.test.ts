// When a feed audits its delivered history (recreates its consumer to replay the proof), on a fake clock.
// The server side: history-rewrite.test.ts and consumer-placement.test.ts.
import { describe, expect, it } from "vitest";
import { AUDIT_INTERVAL_MS, HistoryAudit } from "./history-audit.js";

function auditAt(start = 1_000_000) {
  const clock = { now: start };
  const audit = new HistoryAudit({ now: () => clock.now });
  return { audit, clock };
}

describe("a feed's history audit", () => {
  it("is due when the observed stream leader differs from the one the consumer was created under", () => {
    const { audit } = auditAt();
    audit.consumerCreated("n1");
    expect(audit.check("n1")).toBeUndefined();
    expect(audit.check("n2")).toBe("stream leader changed (n1 → n2)");
    // Carried out: the recreated consumer proved the history under n2.
    audit.consumerCreated("n2");
    expect(audit.check("n2")).toBeUndefined();
    expect(audit.pending).toBe(false);
  });

  it("is never due without a known leader (a single server), nor for a leader first learnt after the consumer", () => {
    const { audit, clock } = auditAt();
    audit.consumerCreated(undefined);
    for (let i = 0; i < 5; i++) {
      expect(audit.check(undefined)).toBeUndefined();
      clock.now += AUDIT_INTERVAL_MS;
    }
    // The first leader the backend learns is the one the consumer runs under.
    expect(audit.check("n3")).toBeUndefined();
    expect(audit.check("n3")).toBeUndefined();
    expect(audit.check("n1")).toBe("stream leader changed (n3 → n1)");
  });

  it("a stream info that failed and answers again with the same leader is no reason (failures are not even seen)", () => {
    const { audit, clock } = auditAt();
    audit.consumerCreated("n1");
    // Whatever failed in between, the backend's last observed leader is still n1.
    clock.now += 3_000;
    expect(audit.check("n1")).toBeUndefined();
    expect(audit.pending).toBe(false);
  });

  it("at most one audit per interval; one that falls due within it is carried out when it has passed", () => {
    const { audit, clock } = auditAt();
    audit.consumerCreated("n1");
    expect(audit.check("n2")).toBe("stream leader changed (n1 → n2)");
    audit.consumerCreated("n2");
    // The leader moves again 1 s later: due, but held back.
    clock.now += 1_000;
    expect(audit.check("n3")).toBeUndefined();
    expect(audit.pending).toBe(true);
    clock.now += AUDIT_INTERVAL_MS - 1_001;
    expect(audit.check("n3")).toBeUndefined();
    // Not dropped: the watchdog's next tick after the interval carries it out.
    clock.now += 1;
    expect(audit.check("n3")).toBe("stream leader changed (n2 → n3)");
    expect(audit.pending).toBe(false);
  });

  it("a leader that moves away and back before a held-back audit runs still gets it (the history may have moved too)", () => {
    const { audit, clock } = auditAt();
    audit.consumerCreated("n1");
    expect(audit.check("n2")).toBeDefined();
    audit.consumerCreated("n2");
    clock.now += 500;
    expect(audit.check("n1")).toBeUndefined();
    clock.now += 500;
    expect(audit.check("n2")).toBeUndefined();
    clock.now += AUDIT_INTERVAL_MS;
    expect(audit.check("n2")).toBe("stream leader changed (n2 → n1)");
  });

  it("a consumer recreated for another reason (a reconnect, a stall) settles a due audit", () => {
    const { audit, clock } = auditAt();
    audit.consumerCreated("n1");
    expect(audit.check("n2")).toBeDefined();
    audit.consumerCreated("n2");
    clock.now += 1_000;
    expect(audit.check("n3")).toBeUndefined();
    audit.consumerCreated("n3");
    clock.now += AUDIT_INTERVAL_MS;
    expect(audit.check("n3")).toBeUndefined();
  });

  it("the interval can be set", () => {
    const clock = { now: 0 };
    const audit = new HistoryAudit({ minIntervalMs: 100, now: () => clock.now });
    audit.consumerCreated("a");
    expect(audit.check("b")).toBeDefined();
    audit.consumerCreated("b");
    clock.now += 50;
    expect(audit.check("c")).toBeUndefined();
    clock.now += 50;
    expect(audit.check("c")).toBeDefined();
  });
});
