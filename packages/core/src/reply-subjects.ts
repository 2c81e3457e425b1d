// The reply subjects a NATS responder answers on (the bridge's and the legacy backend's `.get`, the host's
// status channel): inboxes, as NATS clients make them (`createInbox()`: `_INBOX.<nuid>`; request muxing: `_INBOX.<nuid>.<token>`), under the default prefix or a configured one. A
// request may name any subject as its reply subject, and a responder publishes there with its own
// credentials — a request naming `$KV.LATTICEDATA_x.LINKDEF_…` would make it overwrite that key (a confused
// deputy). Answering only on inboxes confines that to subjects meant for replies.

/** The inbox prefix of NATS clients unless configured otherwise (`inboxPrefix`). */
export const DEFAULT_INBOX_PREFIX = "_INBOX";

/** The longest reply subject a responder answers on. */
export const MAX_REPLY_SUBJECT_LENGTH = 256;

/** Tokens after the prefix: one (`createInbox()`) to four (muxed requests and their kin). */
const INBOX_TAIL = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,3}$/;

/**
 * Whether `subject` is an inbox: one of `prefixes` (default `_INBOX`), a dot, then one to four tokens of
 * letters, digits, `_` and `-` — no wildcard, no `$` — at most {@link MAX_REPLY_SUBJECT_LENGTH} characters.
 */
export function isInboxSubject(
  subject: string | undefined,
  prefixes: readonly string[] = [DEFAULT_INBOX_PREFIX],
): boolean {
  if (subject === undefined || subject.length > MAX_REPLY_SUBJECT_LENGTH) return false;
  return prefixes.some(
    (prefix) => subject.startsWith(`${prefix}.`) && INBOX_TAIL.test(subject.slice(prefix.length + 1)),
  );
}
