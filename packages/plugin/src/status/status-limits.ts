// The bounds of the lattice-wide status channel (issue 27: the host trusts no peer). Whatever arrives on the
// channel comes from any client that may publish there, so a host reads only so much of a request, and a
// requester keeps only so much of the answers. Every bus, the decoder and the README cite these.

/** What a host reads of a status request and what a requester keeps of the answers. */
export const STATUS_LIMITS = {
  /** The largest request a host reads, in bytes; a longer one is refused (`request`). */
  requestBytes: 1024,
  /** The largest answer a requester reads, in bytes (on PostgreSQL: its parts joined); `oversized`. */
  answerBytes: 16_384,
  /** Answers a requester keeps per request: the verified ones, or every one without a status secret; `flood`. */
  answersPerRequest: 1024,
  /** With a status secret: unsigned or wrongly signed answers listed beside the verified ones; `flood`. */
  unverifiedAnswersPerRequest: 64,
  /** Parted answers (PostgreSQL) a requester assembles at once; `parts`. */
  pendingPartedAnswers: 64,
  /** A host id: this many characters at most, of the `hostId` setting's alphabet; `host-id`. */
  hostIdLength: 256,
  /** An HTTP address: an absolute http: or https: URL of this many characters at most; else dropped (`http`). */
  httpLength: 2048,
  /** Backend, prefix, version and digest: printable ASCII of this many characters at most; `malformed`. */
  textLength: 128,
  /** A request's nonce: letters, digits, `_` and `-`, this many characters at most. */
  nonceLength: 64,
  /** A reply subject or channel a host answers on: this many characters at most; `reply-to`. */
  replyToLength: 256,
} as const;
