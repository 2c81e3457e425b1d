import { closeSync, openSync, readSync, statSync } from "node:fs";

/** Keeps the last `limit` characters written to it; used to show a crashed server's output in errors. */
export class OutputTail {
  #text = "";
  readonly #limit: number;

  constructor(limit = 16_384) {
    this.#limit = limit;
  }

  /** Appends a chunk, dropping the oldest characters beyond the limit. */
  append(chunk: Buffer | string): void {
    this.#text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    if (this.#text.length > this.#limit) {
      this.#text = this.#text.slice(this.#text.length - this.#limit);
    }
  }

  /** The retained text. */
  toString(): string {
    return this.#text;
  }
}

/** Returns the last `bytes` bytes of a file as text, or "" if the file cannot be read. */
export function readFileTail(path: string, bytes = 8_192): string {
  try {
    const size = statSync(path).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    const fd = openSync(path, "r");
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString("utf8");
  } catch {
    return "";
  }
}
