// Read-your-writes (rule 7): what this host's writes need from its replica. A write in flight lends the feed
// its decoded value (so an echo that arrives before the acknowledgement is not decoded again); an
// acknowledged write is applied at once when it is the next revision, and otherwise waited for on the feed —
// applied locally if the feed does not bring it in time. Whether the backend's history still holds what the
// replica holds is not decided here: an acknowledgement that contradicts the replica is reported to the
// monitor, which decides (a resync), and the write waits for the outcome.
// Rules cited here: docs/semantics.md#rule-7, #rule-9.
import type { BackendEntry } from "./backend.js";
import { sameBytes } from "./bytes.js";
import type { Logger } from "./logger.js";
import type { ReplicaView } from "./replica-view.js";

/** What the own-write path reports to the replica's monitor (`ReplicaMonitor` implements it). */
export interface AcknowledgementReports {
  /** The backend holds `revision`, which the feed has not brought yet: a feed that does not is suspect. */
  expecting(revision: number): void;
  /** The replica holds another value at an acknowledged revision. Resolves once the monitor decided. */
  contradicted(entry: BackendEntry): Promise<void>;
  /** The key holds a newer revision than an acknowledged write: superseded, or a history restarted below it. */
  superseded(entry: BackendEntry): Promise<void>;
  /** The feed did not bring an acknowledged write in time (it was applied locally). */
  undelivered(entry: BackendEntry): void;
}

/** What the own-write path needs to know of the rest of the replica. */
export interface OwnWritesOptions {
  readonly view: ReplicaView;
  /** True while a snapshot is being staged (a resync): the view is about to be replaced. */
  readonly staging: () => boolean;
  readonly reports: AcknowledgementReports;
  /** The backend orders revisions lattice-wide (rule 1). */
  readonly ordered: boolean;
  /** How long an acknowledged write waits for the feed (`ReplicaTiming.readYourWritesTimeoutMs`). */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

interface Waiter {
  readonly revision: number;
  readonly resolve: (reached: boolean) => void;
}

interface InFlight {
  readonly bytes: Uint8Array;
  readonly decoded: unknown;
}

/** Own writes applied ahead of the feed remembered at most (the oldest is forgotten first). */
const MAX_AHEAD = 10_000;

/** This host's writes as its replica sees them (see the file comment). */
export class OwnWrites {
  private readonly inFlight = new Map<string, InFlight>();
  /**
   * Own writes applied before the feed brought them, by revision (ordered backends): the feed must then
   * bring these very changes at these revisions — another change there means the history under the
   * replica was rewritten (a backup restored) after the acknowledgement (rule 9).
   */
  private readonly ahead = new Map<number, BackendEntry>();
  /** Waiting for revisions, sorted by revision. */
  private waiters: Waiter[] = [];
  private closed = false;

  constructor(private readonly options: OwnWritesOptions) {}

  /** Registers a write about to be sent; returns the function that forgets it. */
  expect(key: string, bytes: Uint8Array | null, decoded: unknown): () => void {
    if (bytes === null || decoded === undefined) return noop;
    const pending = { bytes, decoded };
    this.inFlight.set(key, pending);
    return () => {
      if (this.inFlight.get(key) === pending) this.inFlight.delete(key);
    };
  }

  /** The decoded value of an own write in flight that `entry` echoes, if it is one. */
  decodedOf(entry: BackendEntry): unknown {
    if (this.inFlight.size === 0 || entry.value === null) return undefined;
    const own = this.inFlight.get(entry.key);
    return own !== undefined && sameBytes(own.bytes, entry.value) ? own.decoded : undefined;
  }

  /**
   * Rule 7: the backend acknowledged `entry`; resolves once the replica has applied it (or a resync the
   * acknowledgement revealed has brought the backend's history).
   */
  async acknowledged(entry: BackendEntry, decoded?: unknown): Promise<void> {
    if (this.closed) return;
    const { view, ordered, reports, timeoutMs } = this.options;
    if (view.ready && !this.options.staging()) {
      if (!ordered || entry.revision === view.revision + 1) {
        view.applyLive(entry, decoded);
        if (ordered) this.appliedAhead(entry);
        return;
      }
      if (view.revision >= entry.revision) {
        const current = view.store.revisionOf(entry.key) ?? 0;
        // The common case: the feed brought this very revision before the acknowledgement arrived.
        if (current === entry.revision) {
          if (view.store.holds(entry, decoded)) return;
          await reports.contradicted(entry);
          await this.waitForRevision(entry.revision, timeoutMs);
          return;
        }
        if (current < entry.revision) {
          view.applyOwn(entry, decoded);
          return;
        }
        await reports.superseded(entry);
        if (this.options.staging()) await this.waitForRevision(entry.revision, timeoutMs);
        return;
      }
    }
    reports.expecting(entry.revision);
    const reached = await this.waitForRevision(entry.revision, timeoutMs);
    if (reached || this.closed) return;
    this.options.logger.warn(
      { key: entry.key, revision: entry.revision, applied: view.revision },
      "feed did not deliver an acknowledged write in time; applying it locally and checking the feed",
    );
    view.applyOwn(entry, decoded);
    if (ordered) this.appliedAhead(entry);
    reports.undelivered(entry);
  }

  /**
   * The feed delivers `entry`: when an own write was applied ahead of it at this revision, it must be this
   * very change; another one is reported to the monitor (the history was rewritten, rule 9).
   */
  confirm(entry: BackendEntry): void {
    if (this.ahead.size === 0) return;
    const own = this.ahead.get(entry.revision);
    if (own === undefined) return;
    this.ahead.delete(entry.revision);
    for (const revision of this.ahead.keys()) if (revision < entry.revision) this.ahead.delete(revision);
    if (own.key === entry.key && sameValueOrDelete(own.value, entry.value)) return;
    void this.options.reports.contradicted(own);
  }

  /** A snapshot replaced the view: it holds what the store holds, own writes included or not. */
  rebased(): void {
    this.ahead.clear();
  }

  private appliedAhead(entry: BackendEntry): void {
    if (this.ahead.size >= MAX_AHEAD) this.ahead.delete(this.ahead.keys().next().value as number);
    this.ahead.set(entry.revision, entry);
  }

  /** Resolves `true` when the replica has applied `revision` (outside a resync), `false` after `timeoutMs`. */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.closed || this.reached(revision)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const waiter: Waiter = {
        revision,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      // Kept sorted by revision; writes mostly arrive in order, so this is usually an append.
      let i = this.waiters.length;
      while (i > 0 && (this.waiters[i - 1] as Waiter).revision > revision) i--;
      this.waiters.splice(i, 0, waiter);
    });
  }

  /** Resolves the waiters whose revision the replica has reached. */
  resolveWaiters(): void {
    const { view } = this.options;
    if (this.waiters.length === 0 || !view.ready || this.options.staging()) return;
    let n = 0;
    while (n < this.waiters.length && (this.waiters[n] as Waiter).revision <= view.revision) n++;
    if (n === 0) return;
    for (const w of this.waiters.splice(0, n)) w.resolve(true);
  }

  /** Every pending waiter resolves; later writes resolve at once. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters) w.resolve(true);
    this.waiters = [];
  }

  private reached(revision: number): boolean {
    const { view } = this.options;
    return view.ready && !this.options.staging() && view.revision >= revision;
  }
}

function noop(): void {}

function sameValueOrDelete(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return sameBytes(a, b);
}
