// A set of storage keys in bounded memory: a flat open-addressing table of typed arrays keyed by a 64-bit hash of
// each key (no strings kept), with one number and one small state per key. The exporter keeps each key's latest
// revision in it, the import check each key's line number.
import { hash } from "node:crypto";

/** A slot no key uses. Callers' states are 1–255. */
const EMPTY = 0;
/** Grow past this load: with linear probing a lookup then stays a few probes on average. */
const MAX_LOAD = 0.8;
const INITIAL_CAPACITY = 1024;

/**
 * The table. Two different keys with the same 64-bit hash would be taken for one: with n keys the odds of any
 * such pair are about n² / 2⁶⁵ — 3 in 100 million for a million keys.
 * Memory: 17 bytes a slot (two 32-bit hash halves, a float64, a state byte); at most 1.25 slots a key before a
 * growth doubles the table, so 21–43 bytes a key, outside the JavaScript heap (ArrayBuffers).
 */
export class KeyTable {
  private hi = new Uint32Array(INITIAL_CAPACITY);
  private lo = new Uint32Array(INITIAL_CAPACITY);
  private numbers = new Float64Array(INITIAL_CAPACITY);
  private states = new Uint8Array(INITIAL_CAPACITY);
  private used = 0;

  /** Keys held. */
  get size(): number {
    return this.used;
  }

  /** Bytes the table's arrays take. */
  get bytes(): number {
    return this.states.length * 17;
  }

  /** The slot of `key`, or -1 when the table does not hold it. */
  find(key: string): number {
    const [h, l] = keyHash(key);
    const slot = this.probe(h, l);
    return this.states[slot] === EMPTY ? -1 : slot;
  }

  /**
   * The slot of `key`, added (state `state`, number `value`) when the table did not hold it; `added` tells which.
   * A slot number stays valid until the next `insert` (growing moves slots).
   */
  insert(key: string, state: number, value: number): { slot: number; added: boolean } {
    if (state === EMPTY) throw new RangeError("state 0 marks an empty slot");
    if (this.used + 1 > this.states.length * MAX_LOAD) this.grow();
    const [h, l] = keyHash(key);
    const slot = this.probe(h, l);
    if (this.states[slot] !== EMPTY) return { slot, added: false };
    this.hi[slot] = h;
    this.lo[slot] = l;
    this.states[slot] = state;
    this.numbers[slot] = value;
    this.used++;
    return { slot, added: true };
  }

  /** The state of a slot. */
  state(slot: number): number {
    return this.states[slot] as number;
  }

  /** Sets the state of a slot (never to 0). */
  setState(slot: number, state: number): void {
    if (state === EMPTY) throw new RangeError("state 0 marks an empty slot");
    this.states[slot] = state;
  }

  /** The number kept with a slot's key. */
  number(slot: number): number {
    return this.numbers[slot] as number;
  }

  /** Sets the number kept with a slot's key. */
  setNumber(slot: number, value: number): void {
    this.numbers[slot] = value;
  }

  /** Empties the table (keeping its capacity). */
  clear(): void {
    this.states.fill(EMPTY);
    this.used = 0;
  }

  /** The slot holding (h, l), else the empty slot where it would go. */
  private probe(h: number, l: number): number {
    const mask = this.states.length - 1;
    let slot = l & mask;
    while (this.states[slot] !== EMPTY && (this.hi[slot] !== h || this.lo[slot] !== l)) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private grow(): void {
    const { hi, lo, numbers, states } = this;
    const capacity = states.length * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.numbers = new Float64Array(capacity);
    this.states = new Uint8Array(capacity);
    for (let i = 0; i < states.length; i++) {
      if (states[i] === EMPTY) continue;
      const slot = this.probe(hi[i] as number, lo[i] as number);
      this.hi[slot] = hi[i] as number;
      this.lo[slot] = lo[i] as number;
      this.numbers[slot] = numbers[i] as number;
      this.states[slot] = states[i] as number;
    }
  }
}

/** The first 64 bits of the key's SHA-256, as two unsigned 32-bit halves. */
function keyHash(key: string): [number, number] {
  const d = hash("sha256", key, "buffer");
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}
