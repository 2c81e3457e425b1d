// The `.get` side of generation 1, as a requester: one request like a starting old host, or a window of
// requests gathering every reply (several queue members) for a migration.
import type { CollectionName } from "@lattice-cache/core";
import { errorText } from "@lattice-cache/core/backend";
import { createInbox, Empty, type NatsConnection } from "@nats-io/nats-core";
import { BRIDGE_HEADER } from "./legacy-headers.js";
import type { LegacySubjects } from "./legacy-subjects.js";
import { decodeLegacyList, type LegacyRecord } from "./legacy-wire-codec.js";

/** The outcome of one start-up `.get` request. */
export interface LegacyListReply {
  readonly collection: CollectionName;
  /** False when nobody answered in time (the requester begins empty, as old hosts did). */
  readonly answered: boolean;
  readonly records: LegacyRecord[];
  /** Items refused (undecodable or invalid). */
  readonly invalid: number;
  /** Why nothing was received, or the first refusal. */
  readonly detail: string | undefined;
}

/**
 * Sends one `.get` with an empty body and waits for the first reply, like a starting old host. Resolves
 * empty (never throws) on timeout or when nobody listens.
 */
export async function requestLegacyList(
  nc: NatsConnection,
  subjects: LegacySubjects,
  collection: CollectionName,
  timeoutMs: number,
): Promise<LegacyListReply> {
  try {
    const reply = await nc.request(subjects.of(collection, "get"), Empty, { timeout: timeoutMs });
    const decoded = decodeLegacyList(collection, reply.data);
    return {
      collection,
      answered: true,
      records: decoded.records,
      invalid: decoded.invalid,
      detail: decoded.firstReason,
    };
  } catch (error) {
    return { collection, answered: false, records: [], invalid: 0, detail: errorText(error) };
  }
}

/** Options of `gatherLegacyReplies`. */
export interface GatherOptions {
  /** How long to collect replies. */
  readonly windowMs: number;
  /** Requests per collection, spread over the window, to reach several members of each queue group. */
  readonly requests: number;
  /** Called after each reply. */
  readonly onReply?: (collection: CollectionName, repliesSoFar: number) => void;
}

/** Every reply gathered within a window, per collection. */
export interface GatheredReplies {
  /** One list per reply, per collection. */
  readonly replies: Readonly<Record<CollectionName, LegacyRecord[][]>>;
  /** Items refused (undecodable or invalid), and whole replies that were not arrays. */
  readonly invalid: number;
  /** Replies sent by migration bridges (they mirror the durable side, not the old hosts): not used. */
  readonly bridgeReplies: number;
  /** The first refusal, for a log line. */
  readonly firstInvalidReason: string | undefined;
}

/**
 * Sends `requests` `.get`s per collection across `windowMs`, each with the same private inbox as reply
 * subject, and keeps every reply that arrives before the window closes. A queue group hands each request to
 * one member, so several requests reach several old hosts.
 */
export async function gatherLegacyReplies(
  nc: NatsConnection,
  subjects: LegacySubjects,
  collections: readonly CollectionName[],
  options: GatherOptions,
): Promise<GatheredReplies> {
  const replies = { linkdefs: [], claims: [], refmaps: [] } as Record<CollectionName, LegacyRecord[][]>;
  let invalid = 0;
  let bridgeReplies = 0;
  let firstInvalidReason: string | undefined;
  const inboxes = new Map<string, CollectionName>();
  const subscriptions = collections.map((collection) => {
    const inbox = createInbox();
    inboxes.set(inbox, collection);
    return nc.subscribe(inbox, {
      callback: (error, msg) => {
        // A status message (503 "no responders" when nobody listens on `.get`) is not a reply.
        if (error || msg.headers?.hasError) return;
        if (msg.headers?.has(BRIDGE_HEADER)) {
          bridgeReplies += 1;
          return;
        }
        const decoded = decodeLegacyList(collection, msg.data);
        invalid += decoded.invalid;
        firstInvalidReason ??= decoded.firstReason;
        replies[collection].push(decoded.records);
        options.onReply?.(collection, replies[collection].length);
      },
    });
  });
  const timers: NodeJS.Timeout[] = [];
  try {
    await nc.flush();
    const requests = Math.max(1, Math.floor(options.requests));
    const spacing = options.windowMs / (requests + 1);
    const send = () => {
      for (const [inbox, collection] of inboxes) {
        nc.publish(subjects.of(collection, "get"), Empty, { reply: inbox });
      }
    };
    send();
    for (let i = 1; i < requests; i++) timers.push(setTimeout(send, spacing * i));
    await new Promise((resolve) => setTimeout(resolve, options.windowMs));
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const s of subscriptions) s.unsubscribe();
  }
  return { replies, invalid, bridgeReplies, firstInvalidReason };
}
