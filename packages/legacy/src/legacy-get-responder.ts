// The `.get` side of generation 1, as a responder: a member of each `.get` queue group (the group is named by
// the subject, as old hosts did), answering with a MessagePack array of every value it holds — only on reply
// subjects that are inboxes (core's reply-subjects.ts): a `.get` naming anything else is ignored and counted.
import { COLLECTION_NAMES, type CollectionName } from "@lattice-cache/core";
import { DEFAULT_INBOX_PREFIX, errorText, isInboxSubject, type Logger } from "@lattice-cache/core/backend";
import type { MsgHdrs, NatsConnection, Subscription } from "@nats-io/nats-core";
import { InvalidMessageLog } from "./invalid-message-log.js";
import type { LegacySubjects } from "./legacy-subjects.js";
import { encodeLegacyList, type LegacyRecord } from "./legacy-wire-codec.js";

/** Options of `answerLegacyGets`. */
export interface GetResponderOptions {
  /** The values to answer with, read at request time. */
  readonly recordsOf: (collection: CollectionName) => Iterable<LegacyRecord>;
  /** Headers put on every reply (e.g. the bridge marker). */
  readonly headers?: () => MsgHdrs;
  /** Called after each reply sent. */
  readonly onAnswered?: (collection: CollectionName) => void;
  /** Called for each `.get` ignored because its reply subject is not an inbox. */
  readonly onRefused?: (collection: CollectionName, replyTo: string) => void;
  /** Inbox prefixes the requesters use. Default `["_INBOX"]`, what NATS clients use unless configured. */
  readonly inboxPrefixes?: readonly string[];
  readonly logger: Logger;
}

/** A running responder. */
export interface GetResponder {
  /** `.get`s ignored so far because their reply subject is not an inbox. */
  readonly refused: number;
  /** Leaves the queue groups. */
  close(): void;
}

/** Joins the three `.get` queue groups and answers each request from `recordsOf`. */
export function answerLegacyGets(
  nc: NatsConnection,
  subjects: LegacySubjects,
  options: GetResponderOptions,
): GetResponder {
  const prefixes = options.inboxPrefixes ?? [DEFAULT_INBOX_PREFIX];
  const refusals = new InvalidMessageLog(options.logger, ".get (its reply subject is not an inbox)");
  let refused = 0;
  const subscriptions: Subscription[] = COLLECTION_NAMES.map((collection) => {
    const subject = subjects.of(collection, "get");
    return nc.subscribe(subject, {
      queue: subject,
      callback: (error, msg) => {
        if (error || !msg.reply) return;
        if (!isInboxSubject(msg.reply, prefixes)) {
          refused += 1;
          refusals.report(subject, `reply subject ${JSON.stringify(msg.reply.slice(0, 120))}`);
          options.onRefused?.(collection, msg.reply);
          return;
        }
        try {
          const payload = encodeLegacyList(options.recordsOf(collection));
          msg.respond(payload, options.headers ? { headers: options.headers() } : undefined);
          options.onAnswered?.(collection);
        } catch (failure) {
          // Typically a reply over max_payload: the requester times out and begins empty, as with old hosts.
          options.logger.warn(
            { err: failure, subject, reason: errorText(failure) },
            "could not answer a .get",
          );
        }
      },
    });
  });
  return {
    get refused() {
      return refused;
    },
    close() {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}
