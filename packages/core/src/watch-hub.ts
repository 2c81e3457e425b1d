// Fans change events out to callback listeners and to async-iterator watchers with bounded buffers.
import type { LatticeChange } from "./change-event.js";
import { WatchOverflowError } from "./errors.js";
import type { CollectionName } from "./keys.js";

/** Options of `watch()`. */
export interface WatchOptions {
  /** Only these collections (default: all). */
  readonly collections?: readonly CollectionName[];
  /** Ends the iterator when aborted. */
  readonly signal?: AbortSignal;
  /** Events buffered for a slow consumer before it fails with `WatchOverflowError`. Default 10 000. */
  readonly bufferLimit?: number;
}

/** A change listener; exceptions it throws are reported to the logger and do not affect others. */
export type ChangeListener = (event: LatticeChange) => void;

interface Subscriber {
  readonly filter: ReadonlySet<CollectionName> | undefined;
  deliver(event: LatticeChange): void;
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
      end: () => this.subscribers.delete(sub),
    };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  /** An async iterator of events from now on. */
  iterate(options: WatchOptions = {}): AsyncIterableIterator<LatticeChange> {
    const limit = options.bufferLimit ?? 10_000;
    const buffer: LatticeChange[] = [];
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
        } else if (buffer.length >= limit) {
          sub.end(new WatchOverflowError(limit));
        } else {
          buffer.push(event);
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
        buffer.length = 0;
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
