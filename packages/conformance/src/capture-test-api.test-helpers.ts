// A TestApi that records what the suite registers instead of handing it to a runner, so the suite's own
// tests can run chosen conformance tests against deliberately broken backends and inspect the failures.
import type { TestApi } from "./conformance-target.js";

/** A registered test with its full describe path. */
export interface CapturedTest {
  readonly path: string;
  readonly timeoutMs: number | undefined;
  readonly fn: () => Promise<void> | void;
}

/** The outcome of running one captured test. */
export interface CapturedResult {
  readonly path: string;
  readonly error: unknown;
  readonly ms: number;
}

/** Records registrations; `collected()` resolves once every (async) describe callback has finished. */
export class CaptureTestApi implements TestApi {
  readonly tests: CapturedTest[] = [];
  private readonly prefix: string[] = [];
  private readonly pending: Promise<void>[] = [];

  /**
   * Runs `fn` with `name` on the path. An async callback (the suite probes before registering) keeps its
   * name on the path until it settles — fine as long as async describes do not overlap, as here.
   */
  describe = (name: string, fn: () => void): void => {
    this.prefix.push(name);
    let result: unknown;
    try {
      result = (fn as () => unknown)();
    } catch (error) {
      this.prefix.pop();
      throw error;
    }
    if (result instanceof Promise) this.pending.push(result.finally(() => this.prefix.pop()));
    else this.prefix.pop();
  };

  it = (name: string, fn: () => Promise<void> | void, timeoutMs?: number): void => {
    this.tests.push({ path: [...this.prefix, name].join(" > "), fn, timeoutMs });
  };

  /** Waits for async describe callbacks. */
  async collected(): Promise<CapturedTest[]> {
    while (this.pending.length) await this.pending.shift();
    return this.tests;
  }

  /** Runs the tests whose path matches `filter`, one after another, each within its timeout. */
  async run(filter: (path: string) => boolean): Promise<CapturedResult[]> {
    const results: CapturedResult[] = [];
    for (const t of await this.collected()) {
      if (!filter(t.path)) continue;
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => t.fn()),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`timed out after ${t.timeoutMs} ms`)),
              t.timeoutMs ?? 60_000,
            );
          }),
        ]);
        results.push({ path: t.path, error: undefined, ms: Date.now() - started });
      } catch (error) {
        results.push({ path: t.path, error, ms: Date.now() - started });
      } finally {
        clearTimeout(timer);
      }
    }
    return results;
  }
}
