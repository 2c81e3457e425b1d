// Values found by a natural key of three strings without building or hashing a storage key from it.

/**
 * A map from a three-part natural key to a value, as nested maps keyed by the parts' own strings: a lookup
 * allocates nothing and hashes nothing beyond the three strings (whose hashes V8 caches). Empty inner maps are
 * dropped on delete.
 */
export class NaturalKeyIndex<T> {
  private readonly root = new Map<string, Map<string, Map<string, T>>>();

  /** The value under (a, b, c), or undefined. */
  get(a: string, b: string, c: string): T | undefined {
    return this.root.get(a)?.get(b)?.get(c);
  }

  /** Sets the value under (a, b, c). */
  set(a: string, b: string, c: string, value: T): void {
    let second = this.root.get(a);
    if (!second) {
      second = new Map();
      this.root.set(a, second);
    }
    let third = second.get(b);
    if (!third) {
      third = new Map();
      second.set(b, third);
    }
    third.set(c, value);
  }

  /** Removes the value under (a, b, c), if any. */
  delete(a: string, b: string, c: string): void {
    const second = this.root.get(a);
    const third = second?.get(b);
    if (!second || !third?.delete(c)) return;
    if (third.size > 0) return;
    second.delete(b);
    if (second.size === 0) this.root.delete(a);
  }
}
