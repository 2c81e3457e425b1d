import { describe, expect, it } from "vitest";
import { parseDeliveryInfo } from "./delivery-info.js";

describe("delivery info from ack subjects", () => {
  it("reads the 2.9 form $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>", () => {
    expect(parseDeliveryInfo("$JS.ACK.KV_T.lat_1.1.5.2.1795614946868792703.1")).toEqual({
      streamSequence: 5,
      consumerSequence: 2,
      pending: 1,
      storedAt: 1795614946868,
    });
  });

  it("reads the 2.10+ form with domain, account hash and a trailing token", () => {
    expect(parseDeliveryInfo("$JS.ACK.hub.ACCHASH.KV_T.lat_1.1.42.7.1795614946868792703.0.tok")).toEqual({
      streamSequence: 42,
      consumerSequence: 7,
      pending: 0,
      storedAt: 1795614946868,
    });
  });

  it("reads the stored time exactly from nanoseconds beyond a double's precision", () => {
    // 1795614946868999999 ns is not representable as a double; truncation must not round up to …869.
    expect(parseDeliveryInfo("$JS.ACK.KV_T.c.1.5.2.1795614946868999999.0")?.storedAt).toBe(1795614946868);
    expect(parseDeliveryInfo("$JS.ACK.KV_T.c.1.5.2.999999.0")?.storedAt).toBe(0);
  });

  it("leaves the stored time undefined when its token is not a plain number", () => {
    for (const ts of ["x", "-5", "1e18", "", "1".repeat(31)]) {
      const info = parseDeliveryInfo(`$JS.ACK.KV_T.c.1.5.2.${ts}.0`);
      expect(info?.streamSequence).toBe(5);
      expect(info?.storedAt).toBeUndefined();
    }
  });

  it("rejects anything else", () => {
    expect(parseDeliveryInfo(undefined)).toBeUndefined();
    expect(parseDeliveryInfo("_INBOX.abc")).toBeUndefined();
    expect(parseDeliveryInfo("$JS.ACK.KV_T.c.1.x.2.3.4")).toBeUndefined();
    expect(parseDeliveryInfo("$JS.ACK.KV_T.c.1.2")).toBeUndefined();
  });
});
