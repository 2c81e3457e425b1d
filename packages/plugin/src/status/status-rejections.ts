// What a status channel refuses, by channel and reason: the labels of the host's
// `lattice_cache_status_rejected_total` counter, and the seam through which the buses count.

/** The status channels, as the counter's `channel` label names them. */
export const STATUS_CHANNEL_KINDS = ["nats", "redis", "postgres", "memory"] as const;

/** One of {@link STATUS_CHANNEL_KINDS}. */
export type StatusChannelKind = (typeof STATUS_CHANNEL_KINDS)[number];

/** Why something on a status channel was refused (the counter's `reason` label), with what each means. */
export const STATUS_REJECTION_REASONS = {
  "reply-to":
    "a request naming a reply subject or channel a host does not answer on (not an inbox, or outside its lattice)",
  request: "a request too long or not a status request",
  oversized: "an answer longer than the answer bound",
  flood: "an answer beyond the answers kept per request",
  parts: "a PostgreSQL answer in parts with a part out of bounds, or missing parts",
  malformed: "an answer that is not a host status (a field missing, of the wrong type or out of bounds)",
  "host-id": "an answer whose host id is too long or outside the host-id alphabet",
  http: "an answer whose HTTP address is not an absolute http: or https: URL (the address is dropped, the answer kept)",
  signature:
    "with a status secret: an answer unsigned, wrongly signed or signed for another request (listed as unverified, never compared)",
} as const;

/** One of the keys of {@link STATUS_REJECTION_REASONS}. */
export type StatusRejectionReason = keyof typeof STATUS_REJECTION_REASONS;

/** Where a status bus counts what it refuses: the host's metrics. */
export interface StatusRejections {
  /** Counts `count` refusals (default 1) of `reason` on `channel`. */
  rejected(channel: StatusChannelKind, reason: StatusRejectionReason, count?: number): void;
}

/** Counts nothing: for a bus used outside a host (a test, an embedding program without metrics). */
export const UNCOUNTED_REJECTIONS: StatusRejections = { rejected() {} };
