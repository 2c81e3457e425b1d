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

/** Dot positions of the subject being parsed (reused: this runs once per delivered message). */
const dots = new Int32Array(16);

/**
 * Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (servers < 2.10) and
 * `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]`.
 * `undefined` when `reply` is not an ack subject. Slices only the four tokens it reads.
 */
export function parseDeliveryInfo(reply: string | undefined): DeliveryInfo | undefined {
  if (reply === undefined || !reply.startsWith("$JS.ACK.")) return undefined;
  let count = 0;
  for (let i = reply.indexOf("."); i !== -1 && count < dots.length; i = reply.indexOf(".", i + 1)) {
    dots[count++] = i;
  }
  const tokens = count + 1;
  let base: number;
  if (tokens === 9) base = 2;
  else if (tokens >= 11) base = 4;
  else return undefined;
  const token = (n: number) =>
    reply.slice((dots[n - 1] as number) + 1, n < count ? (dots[n] as number) : reply.length);
  const streamSequence = Number(token(base + 3));
  const consumerSequence = Number(token(base + 4));
  const pending = Number(token(base + 6));
  if (
    !Number.isSafeInteger(streamSequence) ||
    !Number.isSafeInteger(consumerSequence) ||
    !Number.isSafeInteger(pending)
  ) {
    return undefined;
  }
  return { streamSequence, consumerSequence, pending, storedAt: nanosToMs(token(base + 5)) };
}

/**
 * Nanoseconds since the epoch (a decimal string beyond a double's precision) → whole ms, exactly: dropping
 * the last six digits of a decimal is dividing it by a million, rounded down.
 */
function nanosToMs(token: string): number | undefined {
  if (!/^\d{1,30}$/.test(token)) return undefined;
  const ms = token.length <= 6 ? 0 : Number(token.slice(0, -6));
  return Number.isSafeInteger(ms) ? ms : undefined;
}
