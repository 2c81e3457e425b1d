// Server-Sent Events fan-out for the status page: named events to every connected client, with keep-alives.
import type { ServerResponse } from "node:http";

/** Keep-alive comment interval: below common proxy idle timeouts. */
const KEEP_ALIVE_MS = 15_000;

/** The open `/events` connections. */
export class ChangeStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly keepAlive: NodeJS.Timeout;

  constructor() {
    this.keepAlive = setInterval(() => {
      for (const client of this.clients) client.write(": keep-alive\n\n");
    }, KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  /** Connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Turns `response` into an event stream and keeps it until the client goes away. */
  add(response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    // The browser reconnects by itself after 2 s if the host restarts.
    response.write("retry: 2000\n\n");
    this.clients.add(response);
    response.on("close", () => this.clients.delete(response));
  }

  /** Sends one event to `target` (default: everyone). */
  send(event: string, data: unknown, target?: ServerResponse): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (target) target.write(frame);
    else for (const client of this.clients) client.write(frame);
  }

  /** Ends every stream (on shutdown, so the HTTP server can close). */
  close(): void {
    clearInterval(this.keepAlive);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }
}
