// The status bus of the NATS-based backends (jetstream, legacy): a core NATS subject every host subscribes
// to (no queue group, so all answer) on a small connection of its own; requesters publish with a reply inbox.
import { setTimeout as sleep } from "node:timers/promises";
import { BackendUnavailableError, Backoff, errorText, PermissionDeniedError } from "@lattice-cache/core";
import {
  AuthorizationError,
  createInbox,
  type NatsConnection,
  PermissionViolationError,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { CoreConfig } from "../config/core-settings.js";
import { maskUrlCredentials } from "../config/url-credentials.js";
import { natsConnectionOptions } from "../nats/nats-connection-options.js";
import type { NatsConnectionSettings } from "../nats/nats-settings.js";
import type { HostLogger } from "../observability/host-logger.js";
import { HOST_RETRY_POLICY } from "../runtime/retry-policy.js";
import type { HostStatusReport } from "./host-status-report.js";
import { type StatusBus, serveInBackground } from "./status-bus.js";

/** What the NATS status bus reads of a host's configuration: its identity and the NATS connection settings. */
export type NatsStatusBusConfig = Pick<CoreConfig, "prefix" | "hostId" | "connectTimeoutMs"> & {
  readonly nats: NatsConnectionSettings;
};

/** The subject status requests travel on: `lattice-cache.{prefix}.status`. */
export function natsStatusSubject(prefix: string): string {
  return `lattice-cache.${prefix}.status`;
}

/** A {@link StatusBus} on core NATS, connected with the host's NATS settings. */
export class NatsStatusBus implements StatusBus {
  readonly channel: string;
  private readonly subject: string;
  private readonly abort = new AbortController();
  private connection: NatsConnection | undefined;
  private background: Promise<void> | undefined;

  constructor(
    private readonly config: NatsStatusBusConfig,
    private readonly logger: HostLogger,
  ) {
    this.subject = natsStatusSubject(config.prefix);
    this.channel = `NATS subject ${this.subject}`;
  }

  /** Resolves after the first connection attempt; on failure keeps retrying in the background. */
  async serve(report: () => HostStatusReport): Promise<void> {
    const serving = serveInBackground((attempted) => this.connectAndServe(report, attempted));
    this.background = serving.background;
    await serving.attempted;
  }

  async gather(windowMs: number): Promise<string[]> {
    const nc = await this.connectOnce();
    const problems: string[] = [];
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "error" && s.error instanceof PermissionViolationError) problems.push(s.error.message);
      }
    })().catch(() => {});
    try {
      const inbox = createInbox();
      const answers: string[] = [];
      const sub = nc.subscribe(inbox, {
        callback: (error, msg) => {
          if (!error) answers.push(msg.string());
        },
      });
      nc.publish(this.subject, JSON.stringify({ requester: this.config.hostId ?? null }), { reply: inbox });
      await nc.flush();
      await sleep(windowMs);
      sub.unsubscribe();
      if (problems.length > 0 && answers.length === 0) {
        throw new PermissionDeniedError(`NATS refused the status request: ${problems.join("; ")}`);
      }
      return answers;
    } finally {
      await nc.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.background;
    const nc = this.connection;
    this.connection = undefined;
    await nc?.close().catch(() => {});
  }

  private target(): string {
    return `NATS at ${this.config.nats.servers.map(maskUrlCredentials).join(",")}`;
  }

  private async connectOnce(): Promise<NatsConnection> {
    // An unreadable creds or TLS file is a ConfigurationError: thrown as it is, not as "unavailable".
    const options = this.connectionOptions(false);
    try {
      return await connect(options);
    } catch (error) {
      if (error instanceof AuthorizationError) {
        throw new PermissionDeniedError(error.message, { cause: error });
      }
      throw new BackendUnavailableError("nats", errorText(error), { cause: error });
    }
  }

  private connectionOptions(persistent: boolean) {
    return natsConnectionOptions(this.config.nats, {
      name: `lattice-cache-status:${this.config.hostId ?? "anonymous"}`,
      timeoutMs: this.config.connectTimeoutMs,
      persistent,
    });
  }

  private async connectAndServe(report: () => HostStatusReport, firstAttempt: () => void): Promise<void> {
    const backoff = new Backoff(HOST_RETRY_POLICY);
    while (!this.abort.signal.aborted) {
      try {
        // Once connected, the client reconnects by itself, forever (persistent options).
        const nc = await connect(this.connectionOptions(true));
        if (this.abort.signal.aborted) {
          await nc.close().catch(() => {});
          break;
        }
        this.connection = nc;
        nc.subscribe(this.subject, {
          callback: (error, msg) => {
            if (error) {
              this.logger.warn({ err: error, channel: this.channel }, "cannot answer status requests");
              return;
            }
            if (msg.reply) msg.respond(JSON.stringify(report()));
          },
        });
        this.logger.info({ channel: this.channel }, "answering status requests");
        break;
      } catch (error) {
        const delay = backoff.next();
        this.logger.warn(
          { retryInMs: delay, channel: this.channel },
          `status channel: cannot reach ${this.target()}: ${errorText(error)}`,
        );
        firstAttempt();
        try {
          await sleep(delay, undefined, { signal: this.abort.signal });
        } catch {
          break;
        }
      }
    }
  }
}
