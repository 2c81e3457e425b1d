// The status bus of the NATS-based backends (jetstream, legacy): a core NATS subject every host subscribes
// to (no queue group, so all answer) on a small connection of its own; requesters publish with a reply inbox.
// A host answers only on an inbox (`_INBOX.` and inbox tokens, or the connection's own inbox prefix): a request
// naming any other reply subject — `$KV.LATTICEDATA_x.LINKDEF_…` — would make every host publish its status
// there with its own credentials (issue 27: the host trusts no peer), so it is ignored and counted.
import { setTimeout as sleep } from "node:timers/promises";
import { BackendUnavailableError, errorText, PermissionDeniedError, redactUrl } from "@lattice-cache/core";
import { Backoff, DEFAULT_INBOX_PREFIX, isInboxSubject } from "@lattice-cache/core/backend";
import {
  AuthorizationError,
  createInbox,
  type NatsConnection,
  PermissionViolationError,
} from "@nats-io/nats-core";
import { connect, type NodeConnectionOptions } from "@nats-io/transport-node";
import type { PluginHostConfig } from "../plugin-host-config.js";
import { HOST_RETRY_POLICY } from "../retry-policy.js";
import type { HostStatusReport } from "../status/host-status-report.js";
import { type StatusBus, serveInBackground } from "../status/status-bus.js";
import type { StatusChannelContext } from "../status/status-channel-context.js";
import { type GatheredStatus, StatusIntake } from "../status/status-intake.js";
import { encodeStatusRequest, newStatusRequest } from "../status/status-request.js";
import { StatusResponder } from "../status/status-responder.js";
import { natsConnectionOptions } from "./nats-connection-options.js";
import type { NatsConnectionSettings } from "./nats-settings.js";

/** What the NATS status bus reads of a host's configuration: its identity and the NATS connection settings. */
export type NatsStatusBusConfig = Pick<PluginHostConfig, "prefix" | "hostId" | "connectTimeoutMs"> & {
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
    private readonly context: StatusChannelContext,
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

  async gather(windowMs: number): Promise<GatheredStatus> {
    const options = this.connectionOptions(false);
    const nc = await this.connectOnce(options);
    const problems: string[] = [];
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "error" && s.error instanceof PermissionViolationError) problems.push(s.error.message);
      }
    })().catch(() => {});
    try {
      const inbox = createInbox(options.inboxPrefix);
      const request = newStatusRequest(this.config.hostId ?? null);
      const intake = new StatusIntake("nats", this.context, request.nonce);
      const sub = nc.subscribe(inbox, {
        callback: (error, msg) => {
          if (!error) intake.offer(msg.data);
        },
      });
      nc.publish(this.subject, encodeStatusRequest(request), { reply: inbox });
      await nc.flush();
      await sleep(windowMs);
      sub.unsubscribe();
      if (problems.length > 0 && intake.received === 0) {
        throw new PermissionDeniedError(`NATS refused the status request: ${problems.join("; ")}`);
      }
      return intake.result();
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
    return `NATS at ${this.config.nats.servers.map(redactUrl).join(",")}`;
  }

  /** Connects with `options` (built first: an unreadable creds or TLS file is a ConfigurationError). */
  private async connectOnce(options: NodeConnectionOptions): Promise<NatsConnection> {
    try {
      return await connect(options);
    } catch (error) {
      if (error instanceof AuthorizationError) {
        throw new PermissionDeniedError(error.message, { cause: error });
      }
      throw new BackendUnavailableError("nats", errorText(error), { cause: error });
    }
  }

  private connectionOptions(persistent: boolean): NodeConnectionOptions {
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
        const options = this.connectionOptions(true);
        const nc = await connect(options);
        if (this.abort.signal.aborted) {
          await nc.close().catch(() => {});
          break;
        }
        this.connection = nc;
        const responder = new StatusResponder("nats", this.context, report);
        // Requesters connect with the same settings: their inboxes are under the same prefix.
        const inboxes = [options.inboxPrefix || DEFAULT_INBOX_PREFIX];
        nc.subscribe(this.subject, {
          callback: (error, msg) => {
            if (error) {
              this.context.logger.warn(
                { err: error, channel: this.channel },
                "cannot answer status requests",
              );
              return;
            }
            if (!msg.reply) return;
            if (!isInboxSubject(msg.reply, inboxes)) {
              responder.refuseReplyTo(msg.reply);
              return;
            }
            const request = responder.request(msg.data);
            if (request) msg.respond(responder.answer(request));
          },
        });
        this.context.logger.info({ channel: this.channel }, "answering status requests");
        break;
      } catch (error) {
        const delay = backoff.next();
        this.context.logger.warn(
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
