// A status request as it travels: who asks, where to answer (the Redis and PostgreSQL channels name a reply
// channel in it; on NATS the reply subject is the message's own), and a fresh nonce that signed answers carry
// back, so an answer recorded earlier cannot be replayed as one to this request. A host reads at most
// STATUS_LIMITS.requestBytes of it.
import { randomBytes } from "node:crypto";
import { STATUS_LIMITS } from "./status-limits.js";

/** What a requester sends. */
export interface StatusRequest {
  /** The requester's id (for logs), or null. */
  readonly requester: string | null;
  /** Fresh per request: signed answers carry it back. */
  readonly nonce: string;
  /** Where hosts answer, on channels whose messages have no reply address of their own. */
  readonly replyTo?: string;
}

/** What a host takes from a request: the fields it uses, checked. */
export interface ReceivedStatusRequest {
  readonly nonce: string | undefined;
  readonly replyTo: string | undefined;
}

const NONCE = new RegExp(`^[A-Za-z0-9_-]{1,${STATUS_LIMITS.nonceLength}}$`);

/** A new request from `requester`, with a fresh nonce. */
export function newStatusRequest(requester: string | null, replyTo?: string): StatusRequest {
  return { requester, nonce: randomBytes(16).toString("hex"), ...(replyTo === undefined ? {} : { replyTo }) };
}

/** The request on the wire (JSON). */
export function encodeStatusRequest(request: StatusRequest): string {
  return JSON.stringify(request);
}

/**
 * The request in `payload`, or a sentence saying why it is refused: longer than STATUS_LIMITS.requestBytes,
 * not a JSON object, or with a nonce or reply address that is not text. An empty payload (a hand-made
 * `nats req` with no body) is a request without nonce or reply address; so is an older requester's.
 */
export function decodeStatusRequest(payload: string | Uint8Array): ReceivedStatusRequest | string {
  const bytes = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (bytes > STATUS_LIMITS.requestBytes) return `a request of ${bytes} bytes`;
  const text = typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8");
  if (text.trim() === "") return { nonce: undefined, replyTo: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "a request that is not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "a request that is not a JSON object";
  }
  const { nonce, replyTo } = value as Record<string, unknown>;
  if (nonce !== undefined && (typeof nonce !== "string" || !NONCE.test(nonce))) {
    return "a request with a malformed nonce";
  }
  if (replyTo !== undefined && typeof replyTo !== "string") return "a request whose replyTo is not text";
  return { nonce, replyTo };
}
