// Server-Sent Events fan-out for the status page: named events to every connected client, with keep-alives —
// bounded: at most so many clients at once, and a client that falls too far behind (it reads slower than events
// come, or not at all) is sent a last event and let go instead of having the host queue for it without end.
import type { ServerResponse } from "node:http";

/** Keep-alive comment interval: below common proxy idle timeouts. */
const KEEP_ALIVE_MS = 15_000;

/** How many streams may be open, how much may wait for one, and how long a dropped one may take to go. */
export interface ChangeStreamLimits {
  /** Most open streams; {@link ChangeStream.add} refuses more. */
  readonly maxClients: number;
  /**
   * Most bytes written to one stream and not yet taken by the kernel (its client does not read). An event that
   * would queue more drops the client; an event is always written to a stream with nothing waiting, so one
   * stream holds at most this or one event, whichever is larger.
   */
  readonly maxQueuedBytes: number;
  /** How long a dropped client gets to read what waits for it and its last event before it is cut off, in ms. */
  readonly closeGraceMs: number;
}

/** The host's limits: 64 streams, 4 MiB waiting for one, 10 s to take the rest once dropped. */
export const EVENT_STREAM_LIMITS: ChangeStreamLimits = {
  maxClients: 64,
  maxQueuedBytes: 4 * 1024 * 1024,
  closeGraceMs: 10_000,
};

/** The open `/events` connections. */
export class ChangeStream {
  private readonly clients = new Set<ServerResponse>();
  /** Dropped clients still taking what was queued for them, until they finish or the grace ends. */
  private readonly closing = new Set<ServerResponse>();
  private readonly keepAlive: NodeJS.Timeout;
  private droppedTotal = 0;
  private refusedTotal = 0;

  constructor(readonly limits: ChangeStreamLimits = EVENT_STREAM_LIMITS) {
    this.keepAlive = setInterval(() => {
      for (const client of this.clients) this.write(client, ": keep-alive\n\n");
    }, KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  /** Connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Bytes written to open and dropped streams that the kernel has not taken yet. */
  get queuedBytes(): number {
    let bytes = 0;
    for (const client of this.clients) bytes += client.writableLength;
    for (const client of this.closing) bytes += client.writableLength;
    return bytes;
  }

  /** Clients dropped for falling too far behind, since the start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Clients refused because {@link ChangeStreamLimits.maxClients} were connected, since the start. */
  get refused(): number {
    return this.refusedTotal;
  }

  /**
   * Turns `response` into an event stream and keeps it until the client goes away. Returns false, leaving
   * `response` untouched for the caller to refuse, when {@link ChangeStreamLimits.maxClients} are connected.
   */
  add(response: ServerResponse): boolean {
    if (this.clients.size >= this.limits.maxClients) {
      this.refusedTotal += 1;
      return false;
    }
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      // Change events carry entries' values: never stored by a browser or proxy.
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    this.clients.add(response);
    response.on("close", () => this.clients.delete(response));
    // The browser reconnects by itself after 2 s if the host restarts (or drops it for falling behind).
    this.write(response, "retry: 2000\n\n");
    return true;
  }

  /** Sends one event to `target` (default: everyone). */
  send(event: string, data: unknown, target?: ServerResponse): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    const bytes = Buffer.byteLength(frame);
    if (target) this.write(target, frame, bytes);
    else for (const client of this.clients) this.write(client, frame, bytes);
  }

  /** Ends every stream (on shutdown, so the HTTP server can close). */
  close(): void {
    clearInterval(this.keepAlive);
    for (const client of this.clients) client.end();
    this.clients.clear();
    for (const client of this.closing) client.destroy();
    this.closing.clear();
  }

  private write(client: ServerResponse, frame: string, bytes = Buffer.byteLength(frame)): void {
    if (!this.clients.has(client)) return;
    const waiting = client.writableLength;
    if (waiting > 0 && waiting + bytes > this.limits.maxQueuedBytes) this.drop(client);
    else client.write(frame);
  }

  /**
   * Lets a client go that fell behind: no more events for it, a last `closing` event after what waits for it
   * (the page then reconnects and loads the entries afresh), and the connection cut once that is read — or when
   * the grace is over, whatever is still queued.
   */
  private drop(client: ServerResponse): void {
    this.clients.delete(client);
    this.droppedTotal += 1;
    this.closing.add(client);
    const cutOff = setTimeout(() => client.destroy(), this.limits.closeGraceMs);
    cutOff.unref();
    client.once("finish", () => client.destroy());
    client.once("close", () => {
      clearTimeout(cutOff);
      this.closing.delete(client);
    });
    const reason = `this client reads events slower than they come: more than ${this.limits.maxQueuedBytes} bytes of events were waiting for it; reconnect and load /entries again`;
    client.end(`event: closing\ndata: ${JSON.stringify({ reason })}\n\n`);
  }
}
