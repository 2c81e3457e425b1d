// The write path shared by every collection: checks before sending, the backend write, read-your-writes
// (rule 7) and the optimistic update loop (rule 5).
// Rules cited here: docs/semantics.md#rule-5, #rule-7.
import { setTimeout as sleep } from "node:timers/promises";
import type { LatticeBackend } from "./backend.js";
import { DEFAULT_UPDATE_RETRY, type UpdateRetryPolicy, updateBackoffMs } from "./conflict-rules.js";
import { errorText } from "./error-text.js";
import {
  BackendUnavailableError,
  ClosedError,
  ConflictError,
  InvalidEntryError,
  LatticeCacheError,
  NotReadyError,
  UnsupportedOperationError,
  ValueTooLargeError,
} from "./errors.js";
import { assertKeySafe } from "./keys.js";
import type { Replica } from "./replica.js";
import type { ReplicaStore } from "./replica-store.js";
import type { UpdateOutcome, WriteOutcome } from "./write-outcome.js";

/** What an update step asks to write: bytes (or `null` to delete) and the decoded value. */
export interface UpdateStep<V> {
  readonly value: Uint8Array | null;
  readonly decoded?: V;
}

/** Write counters for status and metrics. */
export interface WriteCounters {
  /** Successful writes. */
  writes: number;
  /** Failed writes by error code. */
  errors: Record<string, number>;
}

/** How long an update waits for its replica to resync after its write met another history. */
const HISTORY_CATCH_UP_MS = 10_000;

/** @internal The write path behind every `CollectionHandle`. */
export class WriteCoordinator {
  readonly counters: WriteCounters = { writes: 0, errors: {} };
  private closed = false;

  constructor(
    private readonly backend: LatticeBackend,
    /** The replica behind this cache (the collection handles read from it directly). */
    readonly replica: Replica,
    private readonly hostId: string,
    private readonly maxValueBytes: number,
    private readonly retry: UpdateRetryPolicy = DEFAULT_UPDATE_RETRY,
  ) {}

  /** The replica's store, once the initial sync is done (an update reads it, never the network). */
  private readableStore(): ReplicaStore {
    return this.replica.view.readable ?? notReady();
  }

  /** Marks the path closed: later writes fail with `ClosedError`. */
  close(): void {
    this.closed = true;
  }

  /**
   * One write: checked before anything is sent, applied locally before it resolves (rule 7).
   * `decoded` is the validated value behind `value`, so the local apply need not decode it again.
   */
  async write(
    key: string,
    value: Uint8Array | null,
    expectedRevision?: number,
    decoded?: unknown,
    epoch?: string,
  ): Promise<WriteOutcome> {
    try {
      this.check(key, value, expectedRevision);
      let revision: number;
      const forget = this.replica.expectOwnWrite(key, value, decoded);
      try {
        // A revision names a change only in its history: a conditional write carries the replica's (rule 4).
        const expectedEpoch = expectedRevision ? (epoch ?? this.replica.view.epoch) : undefined;
        ({ revision } = await this.backend.write({
          key,
          value,
          expectedRevision,
          ...(expectedEpoch === undefined ? {} : { expectedEpoch }),
          origin: this.hostId,
        }));
      } catch (error) {
        // The backend did not answer: the feed may be cut off the same way (rule 10), so ask its head.
        if (!LatticeCacheError.isInstance(error) || LatticeCacheError.hasCode(error, "BACKEND_UNAVAILABLE")) {
          this.replica.suspect(`a write failed: ${errorText(error)}`);
        }
        if (LatticeCacheError.isInstance(error)) throw error;
        throw new BackendUnavailableError(this.backend.name, errorText(error), { cause: error });
      } finally {
        forget();
      }
      await this.replica.applyOwnWrite({ key, value, revision, origin: this.hostId }, decoded);
      this.counters.writes += 1;
      return { key, revision };
    } catch (error) {
      const code = LatticeCacheError.isInstance(error) ? error.code : "UNKNOWN";
      this.counters.errors[code] = (this.counters.errors[code] ?? 0) + 1;
      throw error;
    }
  }

  /** Rule 5: read-modify-write with `expectedRevision`, retried on conflict up to the policy's bound. */
  async update<V>(
    key: string,
    step: (current: unknown) => UpdateStep<V> | undefined,
  ): Promise<UpdateOutcome<V>> {
    if (!this.backend.capabilities.compareAndSwap) {
      throw new UnsupportedOperationError("update (needs compareAndSwap)", this.backend.name);
    }
    let lastConflict: ConflictError | undefined;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      const store = this.readableStore();
      const stored = store.get(key);
      const known = store.revisionOf(key);
      const expected = known === undefined || store.isDeleted(key) ? 0 : known;
      const next = step(stored?.value);
      if (next === undefined) {
        return {
          key,
          value: stored?.value as V | undefined,
          revision: known ?? 0,
          attempts: attempt,
          written: false,
        };
      }
      try {
        const { revision } = await this.write(key, next.value, expected, next.decoded);
        return { key, value: next.decoded, revision, attempts: attempt, written: true };
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        lastConflict = error;
        if (error.otherHistory) {
          // The replica read a history the backend lost: retry once it has resynced to the current one.
          await this.replica.catchUpWithHistory(HISTORY_CATCH_UP_MS);
        } else if (error.currentRevision !== undefined && error.currentRevision > 0) {
          // Let the replica catch up with the revision that beat us, then back off a little (jittered).
          await this.replica.waitForRevision(error.currentRevision, 2000);
        }
        const pause = updateBackoffMs(attempt, this.retry);
        if (pause > 0) await sleep(pause);
      }
    }
    throw new ConflictError({
      key,
      expectedRevision: lastConflict?.expectedRevision ?? 0,
      currentRevision: lastConflict?.currentRevision,
      attempts: this.retry.maxAttempts,
    });
  }

  private check(key: string, value: Uint8Array | null, expectedRevision: number | undefined): void {
    if (this.closed) throw new ClosedError();
    assertKeySafe(key);
    if (expectedRevision !== undefined) {
      if (!Number.isSafeInteger(expectedRevision) || expectedRevision < 0) {
        throw new InvalidEntryError(
          [`expectedRevision must be a non-negative integer (got ${expectedRevision})`],
          key,
        );
      }
      if (!this.backend.capabilities.compareAndSwap) {
        throw new UnsupportedOperationError("conditional writes (expectedRevision)", this.backend.name);
      }
    }
    if (value !== null && value.byteLength > this.maxValueBytes) {
      throw new ValueTooLargeError(key, value.byteLength, this.maxValueBytes);
    }
  }
}

function notReady(): never {
  throw new NotReadyError();
}
