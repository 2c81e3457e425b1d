// The host's side of the status channel (issue 27): a request is read only within bounds, answered only on a
// reply address its channel allows (checked by the bus), and answered with this host's report carrying the
// request's nonce, signed when a status secret is configured. Refused requests are counted, and only the first
// few logged, so nobody can flood the log by sending them.
import type { HostStatusReport } from "./host-status-report.js";
import type { StatusChannelContext } from "./status-channel-context.js";
import type { StatusChannelKind } from "./status-rejections.js";
import { decodeStatusRequest, type ReceivedStatusRequest } from "./status-request.js";
import { signAnswer } from "./status-signature.js";

/** Refused requests logged (as warnings) per responder; later ones are only counted. */
const LOGGED_REFUSALS = 10;

/** Answers the requests one bus receives for one host. */
export class StatusResponder {
  private logged = 0;

  /**
   * @param channel the counter label and log name of the bus
   * @param context the logger, the counters and the status secret
   * @param report this host's report, read for every answer
   * @param encode turns the answer into text (default JSON; the PostgreSQL bus escapes it to ASCII)
   */
  constructor(
    private readonly channel: StatusChannelKind,
    private readonly context: StatusChannelContext,
    private readonly report: () => HostStatusReport,
    private readonly encode: (answer: object) => string = JSON.stringify,
  ) {}

  /** The request in `payload`, or undefined — counted and logged — when it is too long or malformed. */
  request(payload: string | Uint8Array): ReceivedStatusRequest | undefined {
    const request = decodeStatusRequest(payload);
    if (typeof request !== "string") return request;
    this.refuse("request", request);
    return undefined;
  }

  /** Counts and logs a request whose reply address the channel does not answer on. */
  refuseReplyTo(replyTo: unknown): void {
    const shown = typeof replyTo === "string" ? JSON.stringify(replyTo.slice(0, 120)) : String(replyTo);
    this.refuse("reply-to", `a request naming ${shown} as its reply address`);
  }

  /** This host's answer to `request`: its report with the request's nonce, signed when there is a secret. */
  answer(request: ReceivedStatusRequest): string {
    const body = this.encode(
      request.nonce === undefined ? this.report() : { ...this.report(), nonce: request.nonce },
    );
    return this.context.secret === undefined ? body : signAnswer(body, this.context.secret);
  }

  private refuse(reason: "request" | "reply-to", what: string): void {
    this.context.rejections.rejected(this.channel, reason);
    if (this.logged >= LOGGED_REFUSALS) return;
    this.logged += 1;
    const later = this.logged === LOGGED_REFUSALS ? " (further ones are only counted)" : "";
    this.context.logger.warn({ channel: this.channel, reason }, `status channel: ignored ${what}${later}`);
  }
}
