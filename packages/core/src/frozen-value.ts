// Values cross the public API immutable: whatever enters a replica's store is deeply frozen there, once, so a
// reader (`get`, `entries`, a change event, an `update` function) can hold it without a copy and an edit in
// place fails loudly (a TypeError in strict code) instead of changing the replica behind the backend's back.
// Measured against copying on every read: freezing costs a hydrating replica about 0.1 µs per entry, while a
// copy per `get` would cost more than the read itself (README, benchmarks).
// Rules cited here: docs/semantics.md#rule-5, #rule-7.

/**
 * Freezes `value` and every object and array reachable from it; returns it. A frozen object is taken as
 * frozen all the way down (everything this module froze is), so freezing a value twice costs nothing.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
