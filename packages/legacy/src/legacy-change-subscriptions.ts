// Following generation-1 changes: the subjects a listener subscribes to, as the backend and the bridge both do.
import { COLLECTION_NAMES, type CollectionName } from "@lattice-cache/core";
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import type { LegacySubjects } from "./legacy-subjects.js";

/** Receives one generation-1 change broadcast (a put on any collection, or a delete of a link definition). */
export type LegacyChangeHandler = (collection: CollectionName, operation: "put" | "del", msg: Msg) => void;

/**
 * Subscribes to every generation-1 change broadcast of `subjects`' lattice: `put` on each collection and
 * `del` on link definitions (generation 1 deletes nothing else). Delivery errors are dropped; the caller
 * unsubscribes the returned subscriptions when done.
 */
export function subscribeToLegacyChanges(
  nc: NatsConnection,
  subjects: LegacySubjects,
  onChange: LegacyChangeHandler,
): Subscription[] {
  const follow = (collection: CollectionName, operation: "put" | "del") =>
    nc.subscribe(subjects.of(collection, operation), {
      callback: (error, msg) => {
        if (!error) onChange(collection, operation, msg);
      },
    });
  return [...COLLECTION_NAMES.map((collection) => follow(collection, "put")), follow("linkdefs", "del")];
}
