// Sending one generation-1 put/del exactly as an old host did: on the collection subject and, for link
// definitions, again on the provider's own subject.
import type { MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import type { LegacySubjects } from "./legacy-subjects.js";
import { encodeLegacyMessage, type LegacyRecord } from "./legacy-wire-codec.js";

/** Which broadcasts a record gets: every collection has `put`; only link definitions have `del`. */
export type LegacyBroadcast =
  | { readonly operation: "put"; readonly record: LegacyRecord }
  | { readonly operation: "del"; readonly record: Extract<LegacyRecord, { collection: "linkdefs" }> };

/** Publishes one put/del (fire and forget); returns how many messages were sent. */
export function publishLegacy(
  nc: NatsConnection,
  subjects: LegacySubjects,
  broadcast: LegacyBroadcast,
  headers?: MsgHdrs,
): number {
  const { operation, record } = broadcast;
  const payload = encodeLegacyMessage(record);
  const options = headers ? { headers } : undefined;
  nc.publish(subjects.of(record.collection, operation), payload, options);
  if (record.collection !== "linkdefs") return 1;
  const providerSubject = subjects.providerLinkdef(
    record.value.provider_id,
    record.value.link_name,
    operation,
  );
  if (providerSubject === undefined) return 1;
  nc.publish(providerSubject, payload, options);
  return 2;
}
