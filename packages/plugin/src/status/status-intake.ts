// The requester's side of one status request (issue 27): every answer that arrives is bounded, decoded and —
// with a status secret — checked against the secret and the request's nonce, as it arrives; only what passes
// is kept, at most STATUS_LIMITS.answersPerRequest verified answers (every answer without a secret) and
// STATUS_LIMITS.unverifiedAnswersPerRequest unverified ones beside them, so forged answers cannot crowd out
// signed ones. Whatever is refused is counted (the host's metrics) and summed up in a few notes.
import { type DecodedAnswer, decodeHostStatusAnswer, type HostStatusReport } from "./host-status-report.js";
import type { StatusChannelContext } from "./status-channel-context.js";
import { STATUS_LIMITS } from "./status-limits.js";
import {
  type StatusChannelKind,
  type StatusRejectionReason,
  UNCOUNTED_REJECTIONS,
} from "./status-rejections.js";
import { checkAnswerSignature, type StatusSecret } from "./status-signature.js";

/** One host's answer as a requester received it. */
export interface ReceivedReport extends HostStatusReport {
  /**
   * True when it is signed with the requester's status secret, for this request. Always false when the
   * requester has no secret (nothing can be verified).
   */
  readonly verified: boolean;
}

/** What one status request brought back. */
export interface GatheredStatus {
  /** The answers kept: decoded, within bounds. */
  readonly reports: readonly ReceivedReport[];
  /** What was refused or not trusted, summed up (a few sentences, however many answers). */
  readonly notes: readonly string[];
  /** True when the requester has a status secret: only verified answers are compared. */
  readonly secured: boolean;
}

/** Refusals noted under one heading; `reason` is what they count as. */
interface Heading {
  readonly reason: StatusRejectionReason;
  readonly sentence: (n: number) => string;
}

const answers = (n: number) => `${n} answer${n === 1 ? "" : "s"}`;

/** The headings of the notes (listed in the order each first occurs). */
const HEADINGS = {
  oversized: {
    reason: "oversized",
    sentence: (n) => `refused ${answers(n)} over ${STATUS_LIMITS.answerBytes} bytes`,
  },
  flood: {
    reason: "flood",
    sentence: (n) =>
      `refused ${answers(n)} beyond the first ${STATUS_LIMITS.answersPerRequest} of this request`,
  },
  floodUnverified: {
    reason: "flood",
    sentence: (n) =>
      `refused ${answers(n)} beyond the first ${STATUS_LIMITS.unverifiedAnswersPerRequest} unverified ones of this request`,
  },
  parts: { reason: "parts", sentence: (n) => `refused ${answers(n)} (parts out of bounds)` },
  hostId: { reason: "host-id", sentence: (n) => `refused ${answers(n)} (host id out of bounds)` },
  malformed: { reason: "malformed", sentence: (n) => `refused ${answers(n)} (not a host status)` },
  http: {
    reason: "http",
    sentence: (n) =>
      `dropped the HTTP address of ${answers(n)} (not an absolute http: or https: URL of at most ${STATUS_LIMITS.httpLength} characters)`,
  },
  signature: {
    reason: "signature",
    sentence: (n) => `${answers(n)} not verified with the status secret (listed, never compared)`,
  },
} as const satisfies Record<string, Heading>;

/** Examples kept per heading. */
const EXAMPLES = 3;

/** Collects the answers to one request; see the file comment. */
export class StatusIntake {
  /** Kept to be compared: the verified answers, or every answer without a secret. */
  private readonly compared: ReceivedReport[] = [];
  private readonly unverified: ReceivedReport[] = [];
  /** Per heading: how many, a few examples, and how many of the refusals those examples stand for. */
  private readonly refusals = new Map<
    keyof typeof HEADINGS,
    { count: number; examples: string[]; shown: number }
  >();
  private arrived = 0;

  /**
   * @param channel the counter label of the bus
   * @param context the counters and the status secret
   * @param nonce the request's nonce (signed answers must carry it)
   */
  constructor(
    private readonly channel: StatusChannelKind,
    private readonly context: Pick<StatusChannelContext, "rejections" | "secret">,
    private readonly nonce: string,
  ) {}

  /** How many answers arrived, kept or not. */
  get received(): number {
    return this.arrived;
  }

  /** Takes one whole answer as it arrived (bytes as received, or text). */
  offer(answer: string | Uint8Array): void {
    this.arrived += 1;
    const bytes = typeof answer === "string" ? Buffer.byteLength(answer) : answer.length;
    if (bytes > STATUS_LIMITS.answerBytes) {
      this.refuse("oversized", `${bytes} bytes`);
      return;
    }
    if (this.full(this.compared) && (this.context.secret === undefined || this.full(this.unverified))) {
      this.refuse(this.context.secret === undefined ? "flood" : "floodUnverified");
      return;
    }
    const text =
      typeof answer === "string"
        ? answer
        : Buffer.from(answer.buffer, answer.byteOffset, answer.length).toString("utf8");
    const decoded = decodeHostStatusAnswer(text);
    if (!("report" in decoded)) {
      this.refuse(decoded.reason === "host-id" ? "hostId" : "malformed", decoded.problem);
      return;
    }
    const distrust = this.distrust(text, decoded);
    const verified = this.context.secret !== undefined && distrust === undefined;
    const kept = verified || this.context.secret === undefined ? this.compared : this.unverified;
    if (this.full(kept)) {
      this.refuse(kept === this.compared ? "flood" : "floodUnverified");
      return;
    }
    if (distrust !== undefined) this.refuse("signature", `${decoded.report.hostId} (${distrust})`);
    if (decoded.httpDropped) this.refuse("http", decoded.report.hostId);
    kept.push({ ...decoded.report, verified });
  }

  /** Counts and notes an answer the channel refused before it was whole (a PostgreSQL answer's parts). */
  refuseParts(detail: string): void {
    this.refuse("parts", detail);
  }

  /** What the request brought back. */
  result(): GatheredStatus {
    const notes = [...this.refusals].map(([heading, { count, examples, shown }]) => {
      if (examples.length === 0) return HEADINGS[heading].sentence(count);
      const more = count > shown ? `; and ${count - shown} more` : "";
      return `${HEADINGS[heading].sentence(count)}: ${examples.join("; ")}${more}`;
    });
    return {
      reports: [...this.compared, ...this.unverified],
      notes,
      secured: this.context.secret !== undefined,
    };
  }

  private full(kept: readonly ReceivedReport[]): boolean {
    const cap =
      kept === this.compared ? STATUS_LIMITS.answersPerRequest : STATUS_LIMITS.unverifiedAnswersPerRequest;
    return kept.length >= cap;
  }

  /** Why a decoded answer is not verified with the secret, or undefined when it is (or there is no secret). */
  private distrust(text: string, decoded: DecodedAnswer): string | undefined {
    const secret: StatusSecret | undefined = this.context.secret;
    if (secret === undefined) return undefined;
    const check = checkAnswerSignature(text, secret);
    if (check !== "signed") return check;
    return decoded.members.nonce === this.nonce ? undefined : "signed for another request";
  }

  private refuse(heading: keyof typeof HEADINGS, example?: string): void {
    const entry = this.refusals.get(heading) ?? { count: 0, examples: [], shown: 0 };
    entry.count += 1;
    if (example !== undefined && entry.examples.includes(example)) entry.shown += 1;
    else if (example !== undefined && entry.examples.length < EXAMPLES) {
      entry.examples.push(example);
      entry.shown += 1;
    }
    this.refusals.set(heading, entry);
    this.context.rejections.rejected(this.channel, HEADINGS[heading].reason);
  }
}

/**
 * Reads `texts` as answers to one request, as a requester with `secret` (default none) and `nonce` would,
 * counting nothing: for audits of answers gathered elsewhere, and for tests.
 */
export function readStatusAnswers(
  texts: readonly string[],
  options: { readonly secret?: StatusSecret; readonly nonce?: string } = {},
): GatheredStatus {
  const intake = new StatusIntake(
    "memory",
    { rejections: UNCOUNTED_REJECTIONS, secret: options.secret },
    options.nonce ?? "",
  );
  for (const text of texts) intake.offer(text);
  return intake.result();
}
