// Fans change events out to callback listeners and to async-iterator watchers with bounded buffers.
// Rules cited here: docs/semantics.md#rule-9.
import type { LatticeChange } from "./change-event.js";
import { WatchOverflowError } from "./errors.js";
import type { CollectionName } from "./keys.js";
import { PendingEvents } from "./pending-events.js";

/** Options of `watch()`. */
export interface WatchOptions {
  /** Only these collections (default: all). */
  readonly collections?: readonly CollectionName[];
  /** Ends the iterator when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Events buffered for a slow consumer before it fails with `WatchOverflowError`. Default 10 000. A
   * resync's changes arrive as one batch: the rest of the batch a watcher is reading does not count, so a
   * watcher that keeps reading receives a resync of any size.
   */
  readonly bufferLimit?: number;
}

/** A change listener; exceptions it throws are reported to the logger and do not affect others. */
export type ChangeListener = (event: LatticeChange) => void;

interface Subscriber {
  readonly filter: ReadonlySet<CollectionName> | undefined;
  deliver(event: LatticeChange): void;
  /** Many events at once (a resync's diff), already filtered for this subscriber. */
  deliverBatch(events: LatticeChange[]): void;
  end(error?: unknown): void;
}

/** The replica's event fan-out. */
export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  /** Number of active listeners and watchers. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Delivers one event to every interested subscriber. */
  emit(event: LatticeChange): void {
    for (const s of this.subscribers) {
      if (s.filter && !s.filter.has(event.collection)) continue;
      s.deliver(event);
    }
  }

  /**
   * Delivers many events at once (a resync's diff, rule 9): each listener gets them one by one now; each
   * watcher gets them as one batch that does not count against its buffer limit while it reads it.
   */
  emitBatch(events: LatticeChange[]): void {
    if (events.length === 0) return;
    for (const s of this.subscribers) {
      s.deliverBatch(s.filter ? events.filter((event) => s.filter?.has(event.collection)) : events);
    }
  }

  /** Registers a callback; returns the function that removes it. */
  listen(listener: ChangeListener, collections?: readonly CollectionName[]): () => void {
    const sub: Subscriber = {
      filter: collections ? new Set(collections) : undefined,
      deliver: (event) => {
        try {
          listener(event);
        } catch (error) {
          this.onListenerError(error);
        }
      },
      deliverBatch: (events) => {
        for (const event of events) sub.deliver(event);
      },
      end: () => this.subscribers.delete(sub),
    };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  /** An async iterator of events from now on. */
  iterate(options: WatchOptions = {}): AsyncIterableIterator<LatticeChange> {
    const limit = options.bufferLimit ?? 10_000;
    const buffer = new PendingEvents();
    let waiting: ((r: IteratorResult<LatticeChange>) => void) | undefined;
    let failWaiting: ((e: unknown) => void) | undefined;
    let done = false;
    let failure: unknown;

    const sub: Subscriber = {
      filter: options.collections ? new Set(options.collections) : undefined,
      deliver: (event) => {
        if (done) return;
        if (waiting) {
          const resolve = waiting;
          waiting = undefined;
          failWaiting = undefined;
          resolve({ value: event, done: false });
        } else if (buffer.counted >= limit) {
          sub.end(new WatchOverflowError(limit));
        } else {
          buffer.push(event);
        }
      },
      deliverBatch: (events) => {
        if (done || events.length === 0) return;
        // Behind already: a watcher still holding more than its limit gets no second batch.
        if (buffer.length >= limit) {
          sub.end(new WatchOverflowError(limit));
          return;
        }
        if (waiting) {
          sub.deliver(events[0] as LatticeChange);
          buffer.pushBatch(events, 1);
        } else {
          buffer.pushBatch(events);
        }
      },
      end: (error) => {
        if (done) return;
        done = true;
        failure = error;
        this.subscribers.delete(sub);
        options.signal?.removeEventListener("abort", onAbort);
        if (waiting) {
          const resolve = waiting;
          const reject = failWaiting;
          waiting = undefined;
          failWaiting = undefined;
          if (error !== undefined && buffer.length === 0) reject?.(error);
          else resolve({ value: undefined, done: true });
        }
      },
    };
    const onAbort = () => sub.end();
    if (options.signal?.aborted) done = true;
    else {
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.subscribers.add(sub);
    }

    const iterator: AsyncIterableIterator<LatticeChange> = {
      next() {
        const event = buffer.shift();
        if (event) return Promise.resolve({ value: event, done: false });
        if (done) {
          if (failure !== undefined) {
            const error = failure;
            failure = undefined;
            return Promise.reject(error);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          waiting = resolve;
          failWaiting = reject;
        });
      },
      return() {
        buffer.clear();
        sub.end();
        failure = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Ends every watcher (on close). */
  endAll(): void {
    for (const s of [...this.subscribers]) s.end();
  }
}
