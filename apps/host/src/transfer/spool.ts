// The exporter's spool: every change the feed delivers, appended to a private temporary file (mode 0600: link
// definition values are often secrets) with synchronous buffered writes — a feed sink cannot wait, and memory
// must not grow with the data — then read back once or twice from the start, or one record at a time by the
// offset its append returned.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One spooled change: `value === null` is a tombstone. */
export interface SpooledChange {
  readonly key: string;
  readonly revision: number;
  readonly value: Buffer | null;
}

const BUFFER_BYTES = 1 << 20;
/** What one {@link Spool.readAt} reads first: most records fit. */
const RANDOM_READ_BYTES = 4096;
/** keyLength (u16), revision (f64), valueLength (i32, -1 = tombstone). */
const HEADER_BYTES = 2 + 8 + 4;

/** A spool file: append, then read. Remove it with {@link Spool.remove} (also after a failure). */
export class Spool {
  private readonly dir: string;
  private readonly path: string;
  private fd: number;
  private buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private readBuffer = Buffer.allocUnsafe(RANDOM_READ_BYTES);
  private filled = 0;
  private written = 0;
  private records = 0;

  constructor(parent: string = tmpdir()) {
    this.dir = mkdtempSync(join(parent, "lattice-export-"));
    this.path = join(this.dir, "spool");
    this.fd = openSync(this.path, "wx+", 0o600);
  }

  /** Changes appended. */
  get size(): number {
    return this.records;
  }

  /** Appends one change; returns its offset in the file (for {@link Spool.readAt}). */
  append(key: string, revision: number, value: Uint8Array | null): number {
    const offset = this.written + this.filled;
    const keyBytes = Buffer.byteLength(key);
    const length = HEADER_BYTES + keyBytes + (value?.length ?? 0);
    if (this.filled + length > this.buffer.length) this.flush();
    if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(length);
    let at = this.buffer.writeUInt16BE(keyBytes, this.filled);
    at += this.buffer.write(key, at);
    at = this.buffer.writeDoubleBE(revision, at);
    at = this.buffer.writeInt32BE(value === null ? -1 : value.length, at);
    if (value !== null) {
      this.buffer.set(value, at);
      at += value.length;
    }
    this.filled = at;
    this.records++;
    return offset;
  }

  /** The change appended at `offset` (what {@link Spool.append} returned). The value is a copy. */
  readAt(offset: number): SpooledChange {
    if (this.filled > 0) this.flush();
    let chunk = this.readChunk(offset, RANDOM_READ_BYTES);
    const keyBytes = chunk.readUInt16BE(0);
    if (HEADER_BYTES + keyBytes > chunk.length) chunk = this.readChunk(offset, HEADER_BYTES + keyBytes);
    const valueLength = chunk.readInt32BE(10 + keyBytes);
    const total = HEADER_BYTES + keyBytes + Math.max(valueLength, 0);
    if (total > chunk.length) chunk = this.readChunk(offset, total);
    const key = chunk.toString("utf8", 2, 2 + keyBytes);
    const revision = chunk.readDoubleBE(2 + keyBytes);
    const valueAt = HEADER_BYTES + keyBytes;
    const value = valueLength < 0 ? null : Buffer.from(chunk.subarray(valueAt, valueAt + valueLength));
    return { key, revision, value };
  }

  /** Every change appended so far, in order (flushes first). The values are copies the caller may keep. */
  *changes(): Generator<SpooledChange> {
    this.flush();
    let chunk = Buffer.allocUnsafe(BUFFER_BYTES);
    let start = 0;
    let end = 0;
    let position = 0;
    const fill = (need: number): boolean => {
      if (end - start >= need) return true;
      if (need > chunk.length) {
        const bigger = Buffer.allocUnsafe(need);
        chunk.copy(bigger, 0, start, end);
        chunk = bigger;
      } else chunk.copy(chunk, 0, start, end);
      end -= start;
      start = 0;
      while (end < need) {
        const n = readSync(this.fd, chunk, end, chunk.length - end, position);
        if (n === 0) return false;
        position += n;
        end += n;
      }
      return true;
    };
    while (fill(HEADER_BYTES)) {
      // Each fill may move the unread bytes to the chunk's start: positions are taken after it.
      const keyBytes = chunk.readUInt16BE(start);
      if (!fill(HEADER_BYTES + keyBytes)) break;
      const key = chunk.toString("utf8", start + 2, start + 2 + keyBytes);
      const revision = chunk.readDoubleBE(start + 2 + keyBytes);
      const valueLength = chunk.readInt32BE(start + 10 + keyBytes);
      const total = HEADER_BYTES + keyBytes + Math.max(valueLength, 0);
      if (!fill(total)) break;
      const valueAt = start + HEADER_BYTES + keyBytes;
      const value = valueLength < 0 ? null : Buffer.from(chunk.subarray(valueAt, valueAt + valueLength));
      start += total;
      yield { key, revision, value };
    }
  }

  /** Forgets every change (a restarted snapshot). */
  reset(): void {
    this.filled = 0;
    this.written = 0;
    this.records = 0;
    closeSync(this.fd);
    this.fd = openSync(this.path, "w+", 0o600);
  }

  /** Closes and deletes the file. */
  remove(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  private readChunk(offset: number, length: number): Buffer {
    if (length > this.readBuffer.length) this.readBuffer = Buffer.allocUnsafe(length);
    let end = 0;
    while (end < length) {
      const n = readSync(this.fd, this.readBuffer, end, length - end, offset + end);
      if (n === 0) break;
      end += n;
    }
    if (end < HEADER_BYTES) throw new RangeError(`no spooled change at offset ${offset}`);
    return this.readBuffer.subarray(0, end);
  }

  private flush(): void {
    let at = 0;
    while (at < this.filled) at += writeSync(this.fd, this.buffer, at, this.filled - at, this.written + at);
    this.written += this.filled;
    this.filled = 0;
  }
}
