import { connect, createServer, type Server, type Socket } from "node:net";

/** A raw TCP client that records everything it receives, for protocol-level assertions in tests. */
export class RawClient {
  readonly socket: Socket;
  #received = "";
  #closed = false;
  readonly #listeners = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.#received += text;
      this.#notify();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Everything received so far. */
  get received(): string {
    return this.#received;
  }

  /** Whether the socket has been closed (by either side). */
  get closed(): boolean {
    return this.#closed;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Resolves true as soon as `condition` holds, false if it still does not after `timeoutMs`. */
  until(condition: (client: RawClient) => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (condition(this)) {
          finish(true);
        }
      };
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /** Resolves true once `text` has been received, false after `timeoutMs`. */
  receives(text: string, timeoutMs: number): Promise<boolean> {
    return this.until((client) => client.received.includes(text), timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      listener();
    }
  }
}

/** A TCP echo server on 127.0.0.1 with a random port. */
export async function startEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends one NATS request over the raw protocol (CONNECT, SUB, PUB) and resolves with the reply payload.
 * Enough to drive the JetStream API without a client library.
 */
export async function natsRequest(
  port: number,
  subject: string,
  payload: string,
  timeoutMs = 10_000,
): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    if (!(await client.receives("INFO {", timeoutMs))) {
      throw new Error(`no INFO from nats on port ${port}`);
    }
    const inbox = "_INBOX.harness";
    client.write(
      'CONNECT {"verbose":false,"pedantic":false,"headers":false}\r\n' +
        `SUB ${inbox} 1\r\n` +
        `PUB ${subject} ${inbox} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`,
    );
    const pattern = /MSG \S+ 1 (\d+)\r\n/;
    const complete = (c: RawClient): boolean => {
      const match = pattern.exec(c.received);
      if (match?.index === undefined) {
        return false;
      }
      const start = match.index + match[0].length;
      return Buffer.byteLength(c.received.slice(start)) >= Number(match[1]);
    };
    if (!(await client.until(complete, timeoutMs))) {
      throw new Error(
        `no reply to ${subject} within ${timeoutMs}ms; received: ${client.received.slice(0, 500)}`,
      );
    }
    const match = pattern.exec(client.received)!;
    const start = match.index + match[0].length;
    return Buffer.from(client.received.slice(start)).subarray(0, Number(match[1])).toString("utf8");
  } finally {
    client.close();
  }
}

export { isAlive } from "./process-state.js";
