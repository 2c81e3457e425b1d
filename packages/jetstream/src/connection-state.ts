// Follows the connection's status events so writes can fail fast while disconnected (nats.js would buffer
// them and time out) and feeds can report disconnection and reconnection.
import type { Logger } from "@lattice-cache/core";
import type { NatsConnection, Status } from "@nats-io/nats-core";

/** Called on every change between connected and disconnected. */
export type ConnectionListener = (connected: boolean, detail: string) => void;

/** The connection's up/down state as its status events report it. */
export class ConnectionState {
  private up: boolean;
  private closedForGood = false;
  private since = Date.now();
  private lastDetail = "";
  private readonly listeners = new Set<ConnectionListener>();
  private readonly errorListeners = new Set<(error: Error) => void>();
  private readonly leftListeners = new Set<(detail: string) => void>();
  private readonly waiters = new Set<() => void>();
  private iterator: AsyncIterable<Status> | undefined;
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {
    this.up = !nc.isClosed();
  }

  /** True while the client holds a live connection to a server. */
  get connected(): boolean {
    return this.up && !this.closedForGood;
  }

  /** True once the connection closed for good (closed by us, or out of reconnect attempts). */
  get closed(): boolean {
    return this.closedForGood || this.nc.isClosed();
  }

  /** When the state last changed (ms epoch). */
  get changedAt(): number {
    return this.since;
  }

  /** The last status detail (server URL, error text). */
  get detail(): string {
    return this.lastDetail;
  }

  /** Starts following status events; ends by itself when the connection closes. */
  start(): void {
    if (this.iterator) return;
    const iterator = this.nc.status();
    this.iterator = iterator;
    void (async () => {
      try {
        for await (const status of iterator) this.onStatus(status);
      } catch (error) {
        this.logger.debug({ err: error }, "connection status stream ended with an error");
      }
      // The iterator ends when the connection is closed.
      if (this.nc.isClosed()) this.set(false, "connection closed", true);
    })();
    void this.nc.closed().then((error) => {
      this.set(false, error ? `connection closed: ${error.message}` : "connection closed", true);
    });
  }

  /** Stops following status events (for a connection the backend does not own). */
  stop(): void {
    this.stopped = true;
    (this.iterator as { stop?: () => void } | undefined)?.stop?.();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    this.listeners.clear();
    this.errorListeners.clear();
    this.leftListeners.clear();
  }

  /** Registers a listener; returns the function that removes it. */
  onChange(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` with asynchronous errors the server reports on a connection that stays up (e.g. a
   * permissions violation on a publish); returns the function that stops it.
   */
  onError(listener: (error: Error) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Calls `listener` when cluster servers went away (the server's gossip, free and immediate: a killed node
   * is announced within milliseconds) or announced lame duck mode; returns the function that stops it.
   */
  onServersLeft(listener: (detail: string) => void): () => void {
    this.leftListeners.add(listener);
    return () => this.leftListeners.delete(listener);
  }

  /** Resolves `true` once connected, `false` after `timeoutMs` or when the connection closes for good. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    if (this.closed || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(this.connected);
      };
      const timer = setTimeout(wake, timeoutMs);
      timer.unref();
      this.waiters.add(wake);
    });
  }

  private onStatus(status: Status): void {
    switch (status.type) {
      case "disconnect":
        this.set(false, `disconnected from ${status.server}`);
        break;
      case "reconnecting":
        this.set(false, "reconnecting");
        break;
      case "reconnect":
        this.set(true, `reconnected to ${status.server}`);
        break;
      case "staleConnection":
        this.set(false, "stale connection (no answer to pings)");
        break;
      case "close":
        this.set(false, "connection closed", true);
        break;
      case "error":
        this.lastDetail = status.error.message;
        this.logger.warn({ err: status.error }, "NATS connection error");
        for (const listener of this.errorListeners) listener(status.error);
        break;
      case "ldm":
        this.logger.info(
          { server: status.server },
          "NATS server entering lame duck mode; the client will move",
        );
        this.serversLeft(`server ${status.server} entered lame duck mode`);
        break;
      case "update":
        if (status.deleted?.length) this.serversLeft(`cluster servers left: ${status.deleted.join(", ")}`);
        break;
      default:
        break;
    }
  }

  private serversLeft(detail: string): void {
    if (this.stopped) return;
    for (const listener of [...this.leftListeners]) {
      try {
        listener(detail);
      } catch (error) {
        this.logger.error({ err: error }, "a cluster listener threw");
      }
    }
  }

  private set(up: boolean, detail: string, forGood = false): void {
    if (forGood) this.closedForGood = true;
    this.lastDetail = detail;
    if (this.up === up) return;
    this.up = up;
    this.since = Date.now();
    // After stop() the backend is closing the connection on purpose: nothing to report.
    if (this.stopped) return;
    if (up) this.logger.info({ detail }, "NATS connection restored");
    else this.logger.warn({ detail }, "NATS connection lost");
    for (const wake of [...this.waiters]) wake();
    for (const listener of [...this.listeners]) {
      try {
        listener(up, detail);
      } catch (error) {
        this.logger.error({ err: error }, "a connection listener threw");
      }
    }
  }
}
