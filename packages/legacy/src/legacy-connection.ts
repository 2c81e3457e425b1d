// One NATS connection to the generation-1 subjects: connecting (or borrowing), typed connect errors, and
// connection-state tracking so writes fail fast instead of queueing silently (rule 10).
// Rules cited here: docs/semantics.md#rule-10.
import {
  BackendUnavailableError,
  ConfigurationError,
  errorText,
  LatticeCacheError,
  type Logger,
  PermissionDeniedError,
  redactUrl,
} from "@lattice-cache/core/backend";
import { natsConnectionOptions } from "@lattice-cache/plugin/nats";
import {
  AuthorizationError,
  type NatsConnection,
  type Status,
  UserAuthenticationExpiredError,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { LegacyConnectionSettings } from "./legacy-options.js";

/** Called when the connection goes down (`false`) or comes back (`true`). */
export type ConnectionListener = (connected: boolean, detail: string) => void;

/** A connection (owned or borrowed) with its up/down state. */
export class LegacyConnection {
  private up = true;
  private closed = false;
  private readonly listeners = new Set<ConnectionListener>();
  /** The client's status feed; its `stop()` ends a pending read (an iterator's `return()` would hang on it). */
  private readonly statusFeed: AsyncIterable<Status> & { stop?: () => void };

  /** @internal Use `openLegacyConnection`. */
  constructor(
    /** The NATS connection. */
    readonly nc: NatsConnection,
    /** True when this package opened it (and so closes it). */
    readonly owned: boolean,
    /** What it is for, in error messages (`legacy`, `legacy bridge`, …). */
    private readonly label: string,
    private readonly logger: Logger,
  ) {
    this.statusFeed = nc.status();
    void this.followStatus();
    void nc.closed().then(() => this.setUp(false, "connection closed"));
  }

  /** True while connected (a borrowed or owned connection that is neither down nor closed). */
  get connected(): boolean {
    return this.up && !this.closed && !this.nc.isClosed();
  }

  /** Registers a listener; returns the function that removes it. */
  onConnection(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Throws `BackendUnavailableError` unless connected: a fire-and-forget publish must not be queued silently. */
  assertConnected(): void {
    if (!this.connected) {
      throw new BackendUnavailableError(this.label, "not connected to NATS; nothing was published");
    }
  }

  /** Waits until the server has processed everything published so far, within `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BackendUnavailableError(this.label, `NATS did not confirm within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      await Promise.race([this.nc.flush(), deadline]);
    } catch (error) {
      if (LatticeCacheError.hasCode(error, "BACKEND_UNAVAILABLE")) throw error;
      throw new BackendUnavailableError(this.label, errorText(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops tracking; closes the connection only when owned. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.statusFeed.stop?.();
    this.listeners.clear();
    if (this.owned && !this.nc.isClosed()) {
      await this.nc.drain().catch(() => this.nc.close());
    }
  }

  private async followStatus(): Promise<void> {
    try {
      for await (const status of this.statusFeed) {
        if (status.type === "disconnect") this.setUp(false, `disconnected from ${status.server}`);
        else if (status.type === "reconnect") this.setUp(true, `reconnected to ${status.server}`);
        else if (status.type === "close") this.setUp(false, "connection closed");
      }
    } catch (error) {
      this.logger.debug({ err: error }, "NATS status iterator ended");
    }
  }

  private setUp(up: boolean, detail: string): void {
    if (this.up === up) return;
    this.up = up;
    if (this.closed) return;
    for (const listener of this.listeners) listener(up, detail);
  }
}

/**
 * Connects to the generation-1 lattice (or borrows `options.connection`) with the configured servers,
 * credentials and TLS files. An owned connection reconnects forever (the client's default of 10 attempts
 * would close it for good) and uses `noEcho` when asked, so a process never hears its own broadcasts.
 */
export async function openLegacyConnection(
  options: LegacyConnectionSettings,
  purpose: {
    readonly label: string;
    readonly name: string;
    readonly noEcho: boolean;
    readonly logger: Logger;
  },
): Promise<LegacyConnection> {
  if (options.connection) {
    if (options.connection.isClosed()) {
      throw new ConfigurationError("the given NATS connection is closed", { field: "connection" });
    }
    return new LegacyConnection(options.connection, false, purpose.label, purpose.logger);
  }
  // Throws ConfigurationError (nats.auth.credsFile, nats.tls.caFile, …) for a file it cannot read.
  const clientOptions = natsConnectionOptions(options, {
    name: purpose.name,
    timeoutMs: options.connectTimeoutMs,
    persistent: true,
  });
  const servers = [...options.servers];
  try {
    const nc = await connect({
      ...clientOptions,
      ...options.connectionOptions,
      servers,
      noEcho: purpose.noEcho,
    });
    return new LegacyConnection(nc, true, purpose.label, purpose.logger);
  } catch (error) {
    if (error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError) {
      throw new PermissionDeniedError(`NATS refused the credentials: ${errorText(error)}`, { cause: error });
    }
    throw new BackendUnavailableError(
      purpose.label,
      `cannot connect to ${servers.map(redactUrl).join(", ")}: ${errorText(error)}`,
      {
        cause: error,
      },
    );
  }
}
