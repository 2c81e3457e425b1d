// What the history proof keeps of one delivery: its revision, whether it was a delete, the value's length, and
// 32-bit prints (FNV-1a) of its key, writer, write id and value — numbers, not the change. A feed delivers
// thousands of changes a second and the proof keeps up to a thousand unproven ones: kept as objects (with the
// value's bytes, a view into the socket's read buffer) they outlived the young generation and doubled the
// garbage collector's time on a writing host (issue 22: bench `update.contention`). Prints tell "another
// change at this revision" apart as the whole change would, except for a collision of 32-bit prints of the
// same key, writer, write id and value length (about 1 in 4 billion for a rewrite that keeps all of those).
// A change with a write id (one per write, random: JetStream's `Nats-Msg-Id`, the same bytes on every retry)
// is named by it: its bytes are not printed, only their length — another value under the same write id would
// take a forged id.
// Rules cited here: docs/semantics.md#rule-9.
import type { BackendEntry } from "./backend.js";

/** One change as a history proof compares it: the entry and, where the store keeps one, its write id. */
export interface DeliveredChange extends BackendEntry {
  /** An id the store keeps with the write (JetStream's `Nats-Msg-Id`), when there is one. */
  readonly writeId?: string;
}

/** What the proof keeps of a delivered change (see the file comment). */
export interface DeliveryPrint {
  readonly revision: number;
  /** The value's length in bytes, or -1 for a delete. */
  readonly length: number;
  readonly key: number;
  readonly origin: number;
  readonly writeId: number;
  readonly value: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The FNV-1a print of a string's UTF-16 code units ("" and undefined print alike). */
function printText(text: string | undefined): number {
  let h = FNV_OFFSET;
  if (text !== undefined) {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, FNV_PRIME);
    }
  }
  return h >>> 0;
}

/** The FNV-1a print of bytes (0 for a delete). */
function printBytes(bytes: Uint8Array | null): number {
  if (bytes === null) return 0;
  let h = FNV_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** The length a print keeps: the value's bytes, or -1 for a delete. */
function lengthOf(change: DeliveredChange): number {
  return change.value === null ? -1 : change.value.length;
}

/** The value's print: its bytes without a write id, 0 with one (the write id names them). */
function valuePrintOf(change: DeliveredChange): number {
  return change.writeId === undefined ? printBytes(change.value) : 0;
}

/** The print of a delivered change. */
export function printOf(change: DeliveredChange): DeliveryPrint {
  return {
    revision: change.revision,
    length: lengthOf(change),
    key: printText(change.key),
    origin: printText(change.origin),
    writeId: printText(change.writeId),
    value: valuePrintOf(change),
  };
}

/** What differs between a delivered change and the change a store now holds at its revision, if anything. */
export function printDifference(delivered: DeliveryPrint, stored: DeliveryPrint): string | undefined {
  if (stored.key !== delivered.key) return "another key";
  if (stored.length < 0 !== delivered.length < 0) return "another operation";
  if (stored.origin !== delivered.origin) return "another writer";
  if (stored.writeId !== delivered.writeId) return "another write";
  if (stored.length !== delivered.length || stored.value !== delivered.value) return "another value";
  return undefined;
}

/**
 * A fixed number of prints in typed arrays, by slot: what `RecentDeliveries` keeps, with no object per
 * delivery. Slot contents are set, copied, read and cleared; an empty slot reads as undefined.
 */
export class PrintSlots {
  private readonly revisions: Float64Array;
  private readonly lengths: Float64Array;
  private readonly keys: Uint32Array;
  private readonly origins: Uint32Array;
  private readonly writeIds: Uint32Array;
  private readonly values: Uint32Array;

  constructor(readonly size: number) {
    this.revisions = new Float64Array(size);
    this.lengths = new Float64Array(size);
    this.keys = new Uint32Array(size);
    this.origins = new Uint32Array(size);
    this.writeIds = new Uint32Array(size);
    this.values = new Uint32Array(size);
  }

  /** Prints `change` into `slot`. */
  set(slot: number, change: DeliveredChange): void {
    this.revisions[slot] = change.revision;
    this.lengths[slot] = lengthOf(change);
    this.keys[slot] = printText(change.key);
    this.origins[slot] = printText(change.origin);
    this.writeIds[slot] = printText(change.writeId);
    this.values[slot] = valuePrintOf(change);
  }

  /** Copies slot `from` of `source` (this table by default) into slot `to`. */
  copy(from: number, to: number, source: PrintSlots = this): void {
    this.revisions[to] = source.revisions[from] as number;
    this.lengths[to] = source.lengths[from] as number;
    this.keys[to] = source.keys[from] as number;
    this.origins[to] = source.origins[from] as number;
    this.writeIds[to] = source.writeIds[from] as number;
    this.values[to] = source.values[from] as number;
  }

  /** Empties `slot` (revisions start at 1, so 0 marks an empty slot). */
  clear(slot: number): void {
    this.revisions[slot] = 0;
  }

  /** The revision printed in `slot`, or 0 when it is empty. */
  revisionAt(slot: number): number {
    return this.revisions[slot] as number;
  }

  /** The print in `slot`, or undefined when it is empty. */
  get(slot: number): DeliveryPrint | undefined {
    const revision = this.revisions[slot] as number;
    if (revision === 0) return undefined;
    return {
      revision,
      length: this.lengths[slot] as number,
      key: this.keys[slot] as number,
      origin: this.origins[slot] as number,
      writeId: this.writeIds[slot] as number,
      value: this.values[slot] as number,
    };
  }
}
