// Proof that the lattice still holds the history a replica consumed. The epoch key and the revision counter
// do not catch every rewrite: a Redis restored from an older backup (RDB, AOF, DUMP/RESTORE) keeps its epoch,
// and new writes then reuse the revisions after the backup. A feed that resumes after its position cannot
// tell, and the replica silently differs from the server.
//
// So the backend remembers the last 16 changes its feeds delivered, and a feed that resumes (or reconnects)
// reads those revisions back from the change log (one pipelined round trip): another change at any of them
// means the history was rewritten and the replica must resync. A trimmed entry proves nothing.
import type { BackendEntry } from "@lattice-cache/core";
import type { ChangeLogEntry } from "./change-log-entry.js";

/** How many delivered changes are remembered (and read back on a resume). */
export const REMEMBERED_CHANGES = 16;

/**
 * The last {@link REMEMBERED_CHANGES} changes a backend's feeds delivered, in a ring (shared by the backend's
 * feeds, so a feed the replica restarts knows them too).
 */
export class DeliveredChanges {
  private readonly ring: (BackendEntry | undefined)[] = new Array(REMEMBERED_CHANGES);
  private next = 0;

  /** Remembers a delivered change. */
  note(entry: BackendEntry): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % REMEMBERED_CHANGES;
  }

  /** Forgets them (a feed starting from an empty replica). */
  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
  }

  /** The remembered changes at or below `position`, newest revision first, one per revision. */
  upTo(position: number): BackendEntry[] {
    const byRevision = new Map<number, BackendEntry>();
    for (let i = 1; i <= REMEMBERED_CHANGES; i++) {
      const entry = this.ring[(this.next - i + REMEMBERED_CHANGES) % REMEMBERED_CHANGES];
      if (entry !== undefined && entry.revision <= position && !byRevision.has(entry.revision)) {
        byRevision.set(entry.revision, entry);
      }
    }
    return [...byRevision.values()].sort((a, b) => b.revision - a.revision);
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
