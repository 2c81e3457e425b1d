// When JetStream's pre-write history check may skip its ping (rule 4 across histories): only when the server
// was heard within one measured round trip, clamped to [MIN_WINDOW_MS, MAX_WINDOW_MS].
// Rules cited here: docs/semantics.md#rule-4.
import { describe, expect, it } from "vitest";
import { MAX_WINDOW_MS, MIN_WINDOW_MS, ServerContact } from "./server-contact.js";

describe("ServerContact", () => {
  it("rule 4: before any round trip was measured, nothing heard counts: the check pings", () => {
    const contact = new ServerContact();
    contact.heard();
    expect(contact.windowMs).toBe(0);
    expect(contact.heardRecently(performance.now() + 0.001)).toBe(false);
  });

  it("rule 4: a message heard within one round trip (at least MIN_WINDOW_MS) stands in for a ping", () => {
    const contact = new ServerContact();
    contact.answered(performance.now() - 0.2);
    expect(contact.windowMs).toBe(MIN_WINDOW_MS);
    contact.heard();
    const heardAt = performance.now();
    expect(contact.heardRecently(heardAt + MIN_WINDOW_MS / 2)).toBe(true);
    expect(contact.heardRecently(heardAt + MIN_WINDOW_MS + 1)).toBe(false);
  });

  it("rule 4: a slow round trip widens the window only up to MAX_WINDOW_MS", () => {
    const contact = new ServerContact();
    contact.answered(performance.now() - 3);
    expect(contact.windowMs).toBeGreaterThanOrEqual(3);
    expect(contact.windowMs).toBeLessThanOrEqual(MAX_WINDOW_MS);
    contact.answered(performance.now() - 50);
    expect(contact.windowMs).toBe(MAX_WINDOW_MS);
    const answeredAt = performance.now();
    expect(contact.heardRecently(answeredAt + MAX_WINDOW_MS + 1)).toBe(false);
  });
});
