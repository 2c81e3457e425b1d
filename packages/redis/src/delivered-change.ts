// Proof that the lattice still holds the history a replica consumed. The epoch key and the revision counter
// do not catch every rewrite: a Redis restored from an older backup (RDB, AOF, DUMP/RESTORE) keeps its epoch,
// and new writes then reuse the revisions after the backup. A feed that resumes after its position cannot
// tell, and the replica silently differs from the server.
//
// So the backend remembers the last 16 changes its feeds delivered (core's `RecentDeliveries`), and a feed
// that resumes (or reconnects) reads those revisions back from the change log (one pipelined round trip):
// another change at any of them — judged here — means the history was rewritten and the replica must
// resync. A trimmed entry proves nothing.
import { type BackendEntry, sameBytes } from "@lattice-cache/core";
import type { ChangeLogEntry } from "./change-log-entry.js";

/**
 * Why the change log's entry at a delivered revision is not the delivered change, or `undefined` when it is
 * the same one.
 */
export function rewriteOf(delivered: BackendEntry, logged: ChangeLogEntry): string | undefined {
  let what: string | undefined;
  if (logged.key !== delivered.key) what = "another key";
  else if ((logged.value === null) !== (delivered.value === null)) what = "another operation";
  else if ((logged.origin ?? "") !== (delivered.origin ?? "")) what = "another writer";
  else if (!sameValue(logged.value, delivered.value)) what = "another value";
  if (what === undefined) return undefined;
  return (
    `the lattice's history was rewritten: revision ${delivered.revision} was delivered as ${describe(delivered)}; ` +
    `the change log now holds ${describe(logged)} there (${what})`
  );
}

function describe(entry: BackendEntry): string {
  const what = entry.value === null ? "deleted" : `${entry.value.length} bytes`;
  return `${entry.key} (${what}${entry.origin ? ` by ${entry.origin}` : ""})`;
}

function sameValue(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === null || b === null ? a === b : sameBytes(a, b);
}
