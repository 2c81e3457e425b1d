// A minimal RESP2 connection for the host's Redis status channel (AUTH, PUBLISH, SUBSCRIBE). The redis
// backend's ioredis is not a dependency of the host, and pub/sub needs only these few commands.
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";

/** An error reply from Redis (`-ERR …`, `-WRONGPASS …`). */
export class RespErrorReply extends Error {
  /** The first word of the reply: `ERR`, `WRONGPASS`, `NOAUTH`, `NOPERM`, … */
  readonly kind: string;
  constructor(message: string) {
    super(message);
    this.name = "RespErrorReply";
    this.kind = message.split(" ", 1)[0] ?? "";
  }
}

/** A decoded RESP2 reply; error replies reject the command instead. */
export type RespReply = string | number | null | RespReply[];

/** Where and how to connect. */
export interface RespEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
}

const CRLF = "\r\n";

/** One connection: commands are answered in order; pub/sub messages go to the message handler. */
export class RespConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: { resolve: (r: RespReply) => void; reject: (e: Error) => void }[] = [];
  private readonly closeHandlers: (() => void)[] = [];
  private messageHandler: ((channel: string, message: string) => void) | undefined;
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.setKeepAlive(true, 10_000);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.end(new Error("the Redis connection closed")));
  }

  /** Connects (bounded by `timeoutMs`) and authenticates when a password is given. */
  static async open(endpoint: RespEndpoint, timeoutMs: number): Promise<RespConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = endpoint.tls
        ? connectTls({
            host: endpoint.host,
            port: endpoint.port,
            // SNI carries host names only (RFC 6066); an IP address is verified against the certificate's SANs.
            ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
          })
        : connectTcp({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no connection to ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once(endpoint.tls ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        s.removeAllListeners("error");
        resolve(s);
      });
      s.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const connection = new RespConnection(socket);
    try {
      if (endpoint.password !== undefined) {
        await connection.command(
          endpoint.username === undefined
            ? ["AUTH", endpoint.password]
            : ["AUTH", endpoint.username, endpoint.password],
        );
      }
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /** Sends one command; resolves with its reply, rejects with {@link RespErrorReply} on an error reply. */
  command(args: readonly string[]): Promise<RespReply> {
    if (this.ended) return Promise.reject(new Error("the Redis connection is closed"));
    return new Promise<RespReply>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  /** Receives `message` pushes of channels this connection subscribed to. */
  onMessage(handler: (channel: string, message: string) => void): void {
    this.messageHandler = handler;
  }

  /** Called once when the connection ends, by either side. */
  onClose(handler: () => void): void {
    if (this.ended) handler();
    else this.closeHandlers.push(handler);
  }

  /** Closes the connection; pending commands reject. */
  close(): void {
    this.socket.destroy();
    this.end(new Error("the Redis connection was closed"));
  }

  private end(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    for (const p of this.pending.splice(0)) p.reject(error);
    for (const handler of this.closeHandlers.splice(0)) handler();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      let parsed: Parsed | undefined;
      try {
        parsed = offset < this.buffer.length ? parseAt(this.buffer, offset) : undefined;
      } catch (error) {
        this.socket.destroy();
        this.end(error as Error);
        return;
      }
      if (parsed === undefined) break;
      offset = parsed.next;
      this.dispatch(parsed.value);
    }
    this.buffer = this.buffer.subarray(offset);
  }

  private dispatch(value: RespReply | RespErrorReply): void {
    // In subscribed mode the server pushes ["message", channel, payload] between command replies.
    if (Array.isArray(value) && value[0] === "message" && value.length === 3) {
      this.messageHandler?.(String(value[1]), String(value[2]));
      return;
    }
    const waiter = this.pending.shift();
    if (!waiter) return;
    if (value instanceof RespErrorReply) waiter.reject(value);
    else waiter.resolve(value);
  }
}

function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, "utf8");
    parts.push(Buffer.from(`$${bytes.length}${CRLF}`), bytes, Buffer.from(CRLF));
  }
  return Buffer.concat(parts);
}

interface Parsed {
  readonly value: RespReply | RespErrorReply;
  readonly next: number;
}

/** One value at `offset`, or undefined while `buffer` does not hold all of it yet. */
function parseAt(buffer: Buffer, offset: number): Parsed | undefined {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd < 0) return undefined;
  const type = buffer[offset];
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 0x2b /* + */:
      return { value: line, next };
    case 0x2d /* - */:
      return { value: new RespErrorReply(line), next };
    case 0x3a /* : */:
      return { value: Number(line), next };
    case 0x24 /* $ */:
      {
        const length = Number(line);
        if (length < 0) return { value: null, next };
        if (buffer.length < next + length + 2) return undefined;
        return { value: buffer.toString("utf8", next, next + length), next: next + length + 2 };
      }
    case 0x2a /* * */:
      {
        const count = Number(line);
        if (count < 0) return { value: null, next };
        const items: RespReply[] = [];
        let at = next;
        for (let i = 0; i < count; i++) {
          const item = parseAt(buffer, at);
          if (item === undefined) return undefined;
          items.push(item.value instanceof RespErrorReply ? item.value.message : item.value);
          at = item.next;
        }
        return { value: items, next: at };
      }
    default:
      throw new Error(`not a RESP2 reply (type byte ${type})`);
  }
}
