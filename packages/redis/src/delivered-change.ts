// Proof that the lattice still holds the history a replica consumed. The epoch key and the revision counter
// do not catch every rewrite: a Redis restored from an older backup (RDB, AOF, DUMP/RESTORE) keeps its epoch,
// and new writes then reuse the revisions after the backup. A feed that resumes after its position cannot
// tell, and the replica silently differs from the server.
//
// So the backend remembers the newest change its feeds delivered, and a feed that resumes (or reconnects)
// reads that revision back from the change log: another change there means the history was rewritten and
// the replica must resync. One XRANGE of one entry; a trimmed entry proves nothing.
import type { BackendEntry } from "@lattice-cache/core";
import type { ChangeLogEntry } from "./change-log-entry.js";

/** The newest change a backend's feeds delivered (shared, so a feed the replica restarts knows it too). */
export class DeliveredChange {
  private last: BackendEntry | undefined;

  /** Remembers `entry` if it is the newest so far. */
  note(entry: BackendEntry): void {
    if (this.last === undefined || entry.revision >= this.last.revision) this.last = entry;
  }

  /** Forgets it (a feed starting from an empty replica). */
  clear(): void {
    this.last = undefined;
  }

  /** The remembered change, if it is at or below `position`. */
  upTo(position: number): BackendEntry | undefined {
    return this.last !== undefined && this.last.revision <= position ? this.last : undefined;
  }
}

/**
 * Why the change log's entry at a delivered revision is not the delivered change, or `undefined` when it is
 * the same one.
 */
export function rewriteOf(delivered: BackendEntry, logged: ChangeLogEntry): string | undefined {
  let what: string | undefined;
  if (logged.key !== delivered.key) what = "another key";
  else if ((logged.value === null) !== (delivered.value === null)) what = "another operation";
  else if ((logged.origin ?? "") !== (delivered.origin ?? "")) what = "another writer";
  else if (!sameBytes(logged.value, delivered.value)) what = "another value";
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

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
