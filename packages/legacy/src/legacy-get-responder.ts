// The `.get` side of generation 1, as a responder: a member of each `.get` queue group (the group is named by
// the subject, as old hosts did), answering with a MessagePack array of every value it holds.
import { COLLECTION_NAMES, type CollectionName, errorText, type Logger } from "@lattice-cache/core";
import type { MsgHdrs, NatsConnection, Subscription } from "@nats-io/nats-core";
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
  readonly logger: Logger;
}

/** A running responder. */
export interface GetResponder {
  /** Leaves the queue groups. */
  close(): void;
}

/** Joins the three `.get` queue groups and answers each request from `recordsOf`. */
export function answerLegacyGets(
  nc: NatsConnection,
  subjects: LegacySubjects,
  options: GetResponderOptions,
): GetResponder {
  const subscriptions: Subscription[] = COLLECTION_NAMES.map((collection) => {
    const subject = subjects.of(collection, "get");
    return nc.subscribe(subject, {
      queue: subject,
      callback: (error, msg) => {
        if (error || !msg.reply) return;
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
    close() {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}
