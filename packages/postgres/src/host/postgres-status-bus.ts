// The status bus of the postgres backend: PostgreSQL LISTEN/NOTIFY in the lattice's database. Hosts LISTEN on
// `lattice_<prefix>_status`; a requester LISTENs on a reply channel of its own under that name
// (`lattice_<prefix>_status_<random>`), NOTIFYs the request channel with it, and every host NOTIFYs its answer
// there — only there: a request naming any other channel is ignored and counted (issue 27). NOTIFY needs no
// privilege beyond connecting, and reaches every session of the database. Answers too long for one NOTIFY
// travel in parts (postgres-answer-parts.ts).
import { createHash, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Backoff } from "@lattice-cache/core/backend";
import type { HostStatusReport, StatusChannelContext } from "@lattice-cache/plugin";
import {
  DEFAULT_PREFIX,
  encodeStatusRequest,
  type GatheredStatus,
  HOST_RETRY_POLICY,
  newStatusRequest,
  type StatusBus,
  StatusIntake,
  StatusResponder,
  serveInBackground,
} from "@lattice-cache/plugin";
import type pg from "pg";
import { endConnection } from "../connection-shutdown.js";
import { latticeSchema } from "../lattice-schema.js";
import type { PostgresBackendOptions } from "../postgres-backend-options.js";
import { postgresErrorText, toLatticeError } from "../postgres-errors.js";
import { AnswerParts, answerPayloads, asciiJson } from "./postgres-answer-parts.js";
import { connectPostgresClient, hostPostgresClientConfig } from "./postgres-client.js";

/** PostgreSQL's identifiers, and so its channel names, are at most 63 bytes. */
const MAX_CHANNEL_LENGTH = 63;
/** Random hex digits that end a reply channel's name. */
const REPLY_ID_LENGTH = 12;
/** How often a host proves its listening connection (a silent partition fails the query in queryTimeoutMs). */
const HEARTBEAT_MS = 15_000;

/** The request channel and the prefix of reply channels of a lattice. */
export function postgresStatusChannels(prefix: string): { requests: string; replyPrefix: string } {
  const schema = latticeSchema(prefix).name;
  // Room for `_status_` and the reply id; a longer schema name is cut and told apart by its hash.
  const room = MAX_CHANNEL_LENGTH - "_status_".length - REPLY_ID_LENGTH;
  const stem =
    schema.length <= room
      ? schema
      : `${schema.slice(0, room - 9)}_${createHash("sha256").update(schema).digest("hex").slice(0, 8)}`;
  return { requests: `${stem}_status`, replyPrefix: `${stem}_status_` };
}

/** Whether `replyTo` is a reply channel of the lattice whose reply channels start with `replyPrefix`. */
export function isPostgresReplyChannel(replyTo: unknown, replyPrefix: string): replyTo is string {
  return (
    typeof replyTo === "string" &&
    replyTo.startsWith(replyPrefix) &&
    replyTo.length <= MAX_CHANNEL_LENGTH &&
    /^[A-Za-z0-9_-]+$/.test(replyTo.slice(replyPrefix.length))
  );
}

/** What the PostgreSQL status bus needs: the backend's connection options and this host's id. */
export interface PostgresStatusBusConfig {
  readonly options: PostgresBackendOptions;
  readonly hostId?: string;
}

/**
 * A {@link StatusBus} on PostgreSQL LISTEN/NOTIFY, connected with the backend's settings. A host's
 * connection is proven every 15 s and made again (backoff up to 10 s) whenever it fails; a requester's
 * fails fast.
 */
export class PostgresStatusBus implements StatusBus {
  readonly channel: string;
  private readonly channels: { requests: string; replyPrefix: string };
  private readonly abort = new AbortController();
  private background: Promise<void> | undefined;

  constructor(
    private readonly config: PostgresStatusBusConfig,
    private readonly context: StatusChannelContext,
  ) {
    this.channels = postgresStatusChannels(config.options.prefix ?? DEFAULT_PREFIX);
    this.channel = `PostgreSQL channel ${this.channels.requests}`;
  }

  /** Resolves after the first connection attempt; on failure keeps retrying in the background. */
  async serve(report: () => HostStatusReport): Promise<void> {
    if (this.abort.signal.aborted) return;
    const serving = serveInBackground((attempted) => this.listen(report, attempted));
    this.background = serving.background;
    await serving.attempted;
  }

  async gather(windowMs: number): Promise<GatheredStatus> {
    let client: pg.Client | undefined;
    try {
      client = await connectPostgresClient(this.clientConfig("request"), (error) =>
        this.context.logger.debug({ err: error }, "status channel: connection error"),
      );
      const replyTo = `${this.channels.replyPrefix}${randomBytes(REPLY_ID_LENGTH / 2).toString("hex")}`;
      const request = newStatusRequest(this.config.hostId ?? null, replyTo);
      const intake = new StatusIntake("postgres", this.context, request.nonce);
      const parts = new AnswerParts({
        answer: (text) => intake.offer(text),
        refused: (detail) => intake.refuseParts(detail),
      });
      client.on("notification", (message) => {
        if (message.channel === replyTo && message.payload !== undefined) parts.add(message.payload);
      });
      await client.query(`LISTEN ${client.escapeIdentifier(replyTo)}`);
      await client.query("SELECT pg_notify($1, $2)", [this.channels.requests, encodeStatusRequest(request)]);
      await sleep(windowMs);
      parts.finish();
      return intake.result();
    } catch (error) {
      throw toLatticeError(error, "ask for the hosts' status");
    } finally {
      if (client) await endConnection(client);
    }
  }

  /** Stops answering: the listening connection closes (one being opened closes once it is). */
  async close(): Promise<void> {
    this.abort.abort();
    await this.background;
  }

  private clientConfig(role: string): pg.ClientConfig {
    return hostPostgresClientConfig(
      this.config.options,
      `lattice-cache-status-${role}:${this.config.hostId ?? "anonymous"}`,
    );
  }

  /** Listens and answers, connecting again after every failure, until {@link close}. */
  private async listen(report: () => HostStatusReport, firstAttempt: () => void): Promise<void> {
    const backoff = new Backoff(HOST_RETRY_POLICY);
    let listenedOnce = false;
    while (!this.abort.signal.aborted) {
      let problem: unknown;
      try {
        problem = await this.session(report, () => {
          this.context.logger.info(
            { channel: this.channel },
            listenedOnce ? "status channel: reconnected" : "answering status requests",
          );
          listenedOnce = true;
          backoff.reset();
          firstAttempt();
        });
      } catch (error) {
        problem = error;
      }
      if (this.abort.signal.aborted) break;
      const delay = backoff.next();
      this.context.logger.warn(
        { retryInMs: delay, channel: this.channel },
        `status channel: ${problem === undefined ? "the connection closed" : postgresErrorText(problem)}; retrying`,
      );
      firstAttempt();
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        break;
      }
    }
  }

  /**
   * One connection: LISTEN, answer, and prove the connection every {@link HEARTBEAT_MS}. Resolves with what
   * ended it (undefined when it closed without an error, or on {@link close}); rejects when it cannot connect.
   */
  private async session(report: () => HostStatusReport, onListening: () => void): Promise<unknown> {
    let end!: (problem: unknown) => void;
    const ended = new Promise<unknown>((resolve) => {
      end = resolve;
    });
    const client = await connectPostgresClient(this.clientConfig("host"), end);
    const responder = new StatusResponder("postgres", this.context, report, asciiJson);
    const stop = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, stop.signal]);
    if (signal.aborted) end(undefined);
    else signal.addEventListener("abort", () => end(undefined), { once: true });
    try {
      client.on("end", () => end(undefined));
      client.on("notification", (message) => {
        if (message.channel === this.channels.requests) this.answer(client, message.payload ?? "", responder);
      });
      await client.query(`LISTEN ${client.escapeIdentifier(this.channels.requests)}`);
      onListening();
      void (async () => {
        for (;;) {
          await sleep(HEARTBEAT_MS, undefined, { signal });
          await client.query("SELECT 1");
        }
      })().catch((error: unknown) => end(signal.aborted ? undefined : error));
      return await ended;
    } finally {
      stop.abort();
      await endConnection(client);
    }
  }

  /** Answers one request on its reply channel (only reply channels of this lattice: nothing else is written). */
  private answer(client: pg.Client, payload: string, responder: StatusResponder): void {
    const request = responder.request(payload);
    if (!request) return;
    if (!isPostgresReplyChannel(request.replyTo, this.channels.replyPrefix)) {
      responder.refuseReplyTo(request.replyTo);
      return;
    }
    client
      .query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [
        request.replyTo,
        answerPayloads(responder.answer(request)),
      ])
      .catch((error: unknown) =>
        this.context.logger.warn({ err: error, channel: this.channel }, "cannot answer a status request"),
      );
  }
}
