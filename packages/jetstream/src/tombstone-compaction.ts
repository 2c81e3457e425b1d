// Tombstone compaction on a KV bucket (rule 6, bounded storage): find the keys whose last message is a
// delete or purge marker older than the cutoff (a headers-only, last-per-subject scan), then purge each
// marker with STREAM.PURGE `{ filter: <its subject>, seq: <its sequence + 1> }` — everything on that subject
// up to and including the marker, never a message written after it. So a key written again between the
// scan and the purge keeps its new value (nats.js `purgeDeletes` purges with `keep: 0`, which would drop
// it). A purged marker leaves no trace a resuming consumer could see: replicas away longer than half the
// retention resync instead of resuming (core's replica).
// Rules cited here: docs/semantics.md#rule-6.
import { type CompactionReport, type CompactionRequest, CompactionScan } from "@lattice-cache/core/backend";
import { isTombstone } from "./kv-message.js";
import { scanLastPerSubject } from "./last-per-subject-scan.js";
import { type StoreAccess, typedStoreError } from "./store-access.js";

/** Purges sent at once. */
const PURGES_IN_FLIGHT = 16;

/** A delete marker found due. */
export interface DueMarker {
  readonly key: string;
  readonly revision: number;
  readonly writtenAt: number;
}

/**
 * Scans the bucket and returns the markers due under `scan`'s cutoff (each the last message of its key),
 * counting every key's last message as scanned.
 */
export async function findDueMarkers(access: StoreAccess, scan: CompactionScan): Promise<DueMarker[]> {
  const due: DueMarker[] = [];
  try {
    await scanLastPerSubject(access, (message) => {
      scan.scanned();
      if (!isTombstone(message.headers) || message.storedAt === undefined) return;
      if (scan.due(message.storedAt)) {
        due.push({ key: message.key, revision: message.revision, writtenAt: message.storedAt });
      }
    });
  } catch (error) {
    throw typedStoreError(error, access, `scan ${access.layout.bucket}`, "CONSUMER.CREATE", ".>");
  }
  return due;
}

/**
 * Purges each marker and what precedes it on its subject (see the file comment) and records it in `scan`
 * when the purge removed anything — a marker that was already gone (its key written again in a bucket of
 * history 1, or another host purged it) is not reported.
 */
export async function purgeMarkers(
  access: StoreAccess,
  markers: readonly DueMarker[],
  scan: CompactionScan,
): Promise<void> {
  const { jsm, layout } = access;
  for (let i = 0; i < markers.length; i += PURGES_IN_FLIGHT) {
    const batch = markers.slice(i, i + PURGES_IN_FLIGHT);
    const purged = await Promise.all(
      batch.map((marker) =>
        jsm.streams
          .purge(layout.stream, { filter: layout.keySubject(marker.key), seq: marker.revision + 1 })
          .catch((error: unknown) => {
            throw typedStoreError(error, access, `purge ${marker.key}'s delete marker`, "STREAM.PURGE");
          }),
      ),
    );
    batch.forEach((marker, j) => {
      if ((purged[j]?.purged ?? 0) > 0) scan.removed(marker.key, marker.revision, marker.writtenAt);
    });
  }
}

/** The whole compaction (see the file comment): a dry run only scans. */
export async function compactTombstones(
  access: StoreAccess,
  request: CompactionRequest,
): Promise<CompactionReport> {
  const scan = new CompactionScan(request);
  const due = await findDueMarkers(access, scan);
  if (scan.dryRun) for (const marker of due) scan.removed(marker.key, marker.revision, marker.writtenAt);
  else await purgeMarkers(access, due, scan);
  return scan.report();
}
