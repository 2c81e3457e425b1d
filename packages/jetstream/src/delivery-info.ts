// Reads a JetStream delivery's sequence numbers from its ack subject (push consumers carry them there).

/** What the ack subject of a delivered message says. */
export interface DeliveryInfo {
  /** The message's stream sequence: the entry's revision. */
  readonly streamSequence: number;
  /** This consumer's delivery sequence: consecutive, so a jump means deliveries were lost. */
  readonly consumerSequence: number;
  /** Messages still pending for the consumer after this one (0 = caught up with the stream). */
  readonly pending: number;
  /**
   * When the server stored the message, in ms since the Unix epoch by the server's clock (the subject
   * carries nanoseconds); undefined when the token is not a plain decimal number.
   */
  readonly storedAt: number | undefined;
}

/**
 * Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (servers < 2.10) and
 * `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]`.
 * `undefined` when `reply` is not an ack subject.
 */
export function parseDeliveryInfo(reply: string | undefined): DeliveryInfo | undefined {
  if (reply === undefined || !reply.startsWith("$JS.ACK.")) return undefined;
  const tokens = reply.split(".");
  let base: number;
  if (tokens.length === 9) base = 2;
  else if (tokens.length >= 11) base = 4;
  else return undefined;
  const streamSequence = Number(tokens[base + 3]);
  const consumerSequence = Number(tokens[base + 4]);
  const pending = Number(tokens[base + 6]);
  if (![streamSequence, consumerSequence, pending].every(Number.isSafeInteger)) return undefined;
  return { streamSequence, consumerSequence, pending, storedAt: nanosToMs(tokens[base + 5]) };
}

/** Nanoseconds since the epoch (a decimal string beyond a double's precision) → whole ms, exactly. */
function nanosToMs(token: string | undefined): number | undefined {
  if (token === undefined || !/^\d{1,30}$/.test(token)) return undefined;
  const ms = Number(BigInt(token) / 1_000_000n);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
