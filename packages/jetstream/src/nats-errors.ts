// Classifies errors of the NATS client: transient (retry), permission, compare-and-swap mismatch, missing stream.
// Checked by `name` and API code, not `instanceof`, so duplicated installs of the client still match. The text
// of an error is core's `errorText`.
import { errorText } from "@lattice-cache/core/backend";

/** JetStream API error codes this backend acts on. */
export const JS_CODES = {
  /** "JetStream system temporarily unavailable" (leader elections, catch-up). */
  clusterUnavailable: 10008,
  /** "jetstream not enabled for account". */
  notEnabledForAccount: 10039,
  /** "JetStream not enabled". */
  notEnabled: 10076,
  /** "message size exceeds maximum allowed". */
  messageTooLarge: 10054,
  /** "stream name already in use with a different configuration". */
  streamNameInUse: 10058,
  /** "stream not found". */
  streamNotFound: 10059,
  /** "consumer not found". */
  consumerNotFound: 10014,
  /** "wrong last sequence: N" — a compare-and-swap mismatch. */
  wrongLastSequence: 10071,
  /** The same mismatch as newer servers report it when the sequence is unknown. */
  wrongLastSequenceUnknown: 10164,
  /** "insufficient resources" (e.g. R3 asked of a single server). */
  insufficientResources: 10023,
  /** "replicas > 1 not supported in non-clustered mode". */
  replicasNotSupported: 10074,
} as const;

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly apiError?: unknown;
}

/** The error and its `cause` chain (bounded), for checks that may be wrapped. */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = error;
  while (typeof current === "object" && current !== null && out.length < 5) {
    out.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  return out;
}

function named(error: unknown, ...names: string[]): boolean {
  return chain(error).some((e) => typeof e.name === "string" && names.includes(e.name));
}

/** The JetStream API error code (`err_code`), when the error is a JetStream API error. */
export function jetStreamCode(error: unknown): number | undefined {
  for (const e of chain(error)) {
    if (
      e.name === "JetStreamApiError" ||
      e.name === "StreamNotFoundError" ||
      e.name === "ConsumerNotFoundError"
    ) {
      return typeof e.code === "number" ? e.code : undefined;
    }
  }
  return undefined;
}

/**
 * A compare-and-swap mismatch: `{ current }` holds the key's revision the server reported
 * (`wrong last sequence: N`), or `undefined` when it did not say. `undefined` when not a mismatch.
 */
export function casMismatch(error: unknown): { readonly current: number | undefined } | undefined {
  const code = jetStreamCode(error);
  if (code !== JS_CODES.wrongLastSequence && code !== JS_CODES.wrongLastSequenceUnknown) return undefined;
  const match = /wrong last sequence:\s*(\d+)/i.exec(errorText(error));
  return { current: match ? Number(match[1]) : undefined };
}

/** No server answered a JetStream request (no JetStream there, wrong domain, or a leader election). */
export function isNoResponders(error: unknown): boolean {
  if (named(error, "NoResponders", "NoRespondersError", "JetStreamNotEnabled")) return true;
  return chain(error).some(
    (e) => e.name === "RequestError" && typeof e.message === "string" && /no responders/i.test(e.message),
  );
}

/** A request that got no answer in time. */
export function isTimeout(error: unknown): boolean {
  return named(error, "TimeoutError");
}

/** The server refused the subject or the credentials. */
export function isPermissionError(error: unknown): boolean {
  return named(error, "PermissionViolationError", "AuthorizationError", "UserAuthenticationExpiredError");
}

/** The bucket's stream does not exist. */
export function isStreamNotFound(error: unknown): boolean {
  return named(error, "StreamNotFoundError") || jetStreamCode(error) === JS_CODES.streamNotFound;
}

/** The value (with headers) is larger than the bucket or the server accepts. */
export function isMessageTooLarge(error: unknown): boolean {
  if (jetStreamCode(error) === JS_CODES.messageTooLarge) return true;
  return chain(error).some((e) => typeof e.message === "string" && /max_payload/i.test(e.message));
}

/** The connection is closed for good (closed by us, or out of reconnect attempts). */
export function isConnectionClosed(error: unknown): boolean {
  return named(error, "ClosedConnectionError", "DrainingConnectionError");
}

/**
 * Worth retrying: timeouts, no responders (leader elections answer that way for seconds), a JetStream
 * cluster that is temporarily unavailable, a dropped connection.
 */
export function isTransient(error: unknown): boolean {
  if (isTimeout(error) || isNoResponders(error)) return true;
  if (named(error, "ConnectionError")) return true;
  const code = jetStreamCode(error);
  if (code === JS_CODES.clusterUnavailable) return true;
  return chain(error).some(
    (e) =>
      (e.name === "RequestError" &&
        typeof e.message === "string" &&
        /disconnect|connection/i.test(e.message)) ||
      (typeof e.code === "number" && e.code === 503),
  );
}
