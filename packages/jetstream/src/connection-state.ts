// Follows the connection's status events so writes can fail fast while disconnected (nats.js would buffer
// them and time out) and feeds can report disconnection and reconnection — and tells feeds when cluster
// servers leave, from the server list in each INFO the connected server sends: nats.js reports only servers
// it learnt by gossip as deleted, so a host given every cluster URL (the production advice) heard of no death
// at all, and a feed whose consumer lived on a killed follower stayed silent for a minute (issue 22 item 8).
import type { Logger } from "@lattice-cache/core/backend";
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
  /** The client URLs (`host:port`) the connected server listed in its last INFO (`connect_urls`). */
  private clusterServers: ReadonlySet<string>;
  /** Servers that left and have not been listed again since. */
  private readonly missing = new Set<string>();
  private missingSince: number | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {
    this.up = !nc.isClosed();
    this.clusterServers = this.reportedServers();
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

  /**
   * Since when a cluster server that left (see `onServersLeft`) has been missing; `undefined` when every
   * server that left is listed again (or none left).
   */
  get serverMissingSince(): number | undefined {
    return this.missingSince;
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
        this.clusterUpdate(status.deleted ?? []);
        break;
      default:
        break;
    }
  }

  /**
   * An INFO from the connected server (nats.js reports each as an update): the servers it no longer lists
   * left, whether nats.js learnt them by gossip (its `deleted`) or was given them in `servers`.
   */
  private clusterUpdate(deleted: readonly string[]): void {
    const now = this.reportedServers();
    const left = new Set(deleted);
    for (const server of this.clusterServers) if (!now.has(server)) left.add(server);
    this.clusterServers = now;
    for (const server of left) this.missing.add(server);
    for (const server of [...this.missing]) if (now.has(server)) this.missing.delete(server);
    if (this.missing.size === 0) this.missingSince = undefined;
    else this.missingSince ??= Date.now();
    if (left.size > 0) this.serversLeft(`cluster servers left: ${[...left].join(", ")}`);
  }

  private reportedServers(): ReadonlySet<string> {
    return new Set(this.nc.info?.connect_urls ?? []);
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
