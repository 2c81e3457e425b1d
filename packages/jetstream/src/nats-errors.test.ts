// Rules cited here: docs/semantics.md#rule-4.
import { JetStreamApiError } from "@nats-io/jetstream";
import { errors } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import {
  casMismatch,
  isMessageTooLarge,
  isNoResponders,
  isPermissionError,
  isStreamNotFound,
  isTransient,
  JS_CODES,
} from "./nats-errors.js";

const apiError = (err_code: number, description: string, code = 400) =>
  new JetStreamApiError({ code, err_code, description });

describe("compare-and-swap mismatches (rule 4)", () => {
  it("10071 'wrong last sequence: N' yields the current revision N", () => {
    expect(casMismatch(apiError(JS_CODES.wrongLastSequence, "wrong last sequence: 17"))).toEqual({
      current: 17,
    });
  });

  it("10164 (newer servers) is a mismatch too, with the revision when given", () => {
    expect(casMismatch(apiError(JS_CODES.wrongLastSequenceUnknown, "wrong last sequence: 3"))).toEqual({
      current: 3,
    });
    expect(casMismatch(apiError(JS_CODES.wrongLastSequenceUnknown, "wrong last sequence"))).toEqual({
      current: undefined,
    });
  });

  it("other API errors are not mismatches", () => {
    expect(casMismatch(apiError(JS_CODES.streamNotFound, "stream not found", 404))).toBeUndefined();
    expect(casMismatch(new Error("wrong last sequence: 3"))).toBeUndefined();
  });
});

describe("transient failures are retried, others are not", () => {
  it("timeouts, no responders (leader elections), cluster-unavailable and dropped connections are transient", () => {
    const noResponders = new errors.RequestError("no responders: 'x'", {
      cause: new errors.NoRespondersError("x"),
    });
    expect(isTransient(new errors.TimeoutError())).toBe(true);
    expect(isTransient(noResponders)).toBe(true);
    expect(isNoResponders(noResponders)).toBe(true);
    expect(
      isTransient(apiError(JS_CODES.clusterUnavailable, "JetStream system temporarily unavailable", 503)),
    ).toBe(true);
    expect(isTransient(new errors.ConnectionError("connection refused"))).toBe(true);
  });

  it("a wrapped no-responders ('jetstream is not enabled' from the client) is recognised", () => {
    const wrapped = new Error("jetstream is not enabled", {
      cause: new errors.RequestError("no responders", {
        cause: new errors.NoRespondersError("$JS.API.INFO"),
      }),
    });
    Object.defineProperty(wrapped, "name", { value: "JetStreamNotEnabled" });
    expect(isNoResponders(wrapped)).toBe(true);
  });

  it("permission violations, size and missing streams are not transient", () => {
    const denied = new errors.PermissionViolationError("denied", "publish", "$KV.B.k");
    expect(isPermissionError(denied)).toBe(true);
    expect(isTransient(denied)).toBe(false);
    expect(
      isMessageTooLarge(apiError(JS_CODES.messageTooLarge, "message size exceeds maximum allowed")),
    ).toBe(true);
    expect(isMessageTooLarge(new errors.InvalidArgumentError("'payload' max_payload size exceeded"))).toBe(
      true,
    );
    expect(isStreamNotFound(apiError(JS_CODES.streamNotFound, "stream not found", 404))).toBe(true);
    expect(isTransient(apiError(JS_CODES.streamNotFound, "stream not found", 404))).toBe(false);
  });
});
