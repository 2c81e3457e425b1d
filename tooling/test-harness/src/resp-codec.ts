/** An error reply (`-ERR ...`) from Redis. */
export class RedisReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisReplyError";
  }
}

/**
 * A decoded RESP2 reply: simple and bulk strings become `string` (UTF-8), integers `number`, the null
 * bulk string / null array `null`, arrays `RespValue[]`, and error replies {@link RedisReplyError}.
 */
export type RespValue = string | number | null | RedisReplyError | RespValue[];

const CRLF = "\r\n";

/** Encodes a command as a RESP2 array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, "utf8");
    parts.push(Buffer.from(`$${bytes.length}${CRLF}`), bytes, Buffer.from(CRLF));
  }
  return Buffer.concat(parts);
}

interface Parsed {
  readonly value: RespValue;
  readonly next: number;
}

/** Parses one value at `offset`; returns undefined if `buffer` does not hold a complete value yet. */
function parseAt(buffer: Buffer, offset: number): Parsed | undefined {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd < 0) {
    return undefined;
  }
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, next: afterLine };
    case "-":
      return { value: new RedisReplyError(line), next: afterLine };
    case ":":
      return { value: Number(line), next: afterLine };
    case "$": {
      const length = Number(line);
      if (length < 0) {
        return { value: null, next: afterLine };
      }
      if (buffer.length < afterLine + length + 2) {
        return undefined;
      }
      return { value: buffer.toString("utf8", afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) {
        return { value: null, next: afterLine };
      }
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseAt(buffer, next);
        if (item === undefined) {
          return undefined;
        }
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`invalid RESP2 data: unexpected type byte ${JSON.stringify(type)} at offset ${offset}`);
  }
}

/** Incremental RESP2 reply parser: feed it socket chunks, get complete replies back. */
export class RespParser {
  #buffer: Buffer = Buffer.alloc(0);

  /** Appends `chunk` and returns every reply that is now complete, in order. */
  push(chunk: Buffer): RespValue[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const values: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const parsed = offset < this.#buffer.length ? parseAt(this.#buffer, offset) : undefined;
      if (parsed === undefined) {
        break;
      }
      values.push(parsed.value);
      offset = parsed.next;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return values;
  }
}

function toJsonable(value: RespValue): unknown {
  if (value instanceof RedisReplyError) {
    return { error: value.message };
  }
  if (Array.isArray(value)) {
    return value.map(toJsonable);
  }
  return value;
}

/**
 * Renders a reply as text: strings as-is, integers as decimal text, null as `(nil)`, arrays as JSON
 * (null elements as `null`, nested errors as `{"error": "..."}`), a top-level error as `(error) MESSAGE`.
 */
export function formatReply(value: RespValue): string {
  if (value === null) {
    return "(nil)";
  }
  if (value instanceof RedisReplyError) {
    return `(error) ${value.message}`;
  }
  if (Array.isArray(value)) {
    return JSON.stringify(toJsonable(value));
  }
  return String(value);
}
