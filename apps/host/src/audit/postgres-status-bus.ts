// The status bus of the postgres backend: PostgreSQL LISTEN/NOTIFY in the lattice's database. Hosts LISTEN on
// `lattice_<prefix>_status`; a requester LISTENs on a reply channel of its own under that name
// (`lattice_<prefix>_status_<random>`), NOTIFYs the request channel with it, and every host NOTIFYs its answer
// there. NOTIFY needs no privilege beyond connecting, and reaches every session of the database.
//
// A NOTIFY payload must stay under 8000 bytes. A report is a few hundred, but its texts (host id, HTTP
// address) are unbounded, so a longer one travels in parts — `{"answer", "part", "parts", "text"}`, sent in
// one statement and so delivered together and in order — that the requester joins again. Payloads are
// plain ASCII (JSON's \u escapes), whatever the database's encoding.
import { createHash, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Backoff } from "@lattice-cache/core";
import {
  endConnection,
  latticeSchema,
  type PostgresBackendOptions,
  postgresErrorText,
  toLatticeError,
} from "@lattice-cache/postgres";
import type pg from "pg";
import type { HostLogger } from "../observability/host-logger.js";
import { connectPostgresClient, hostPostgresClientConfig } from "../postgres/postgres-client.js";
import { HOST_RETRY_POLICY } from "../runtime/retry-policy.js";
import type { HostStatusReport } from "./host-status-report.js";
import { type StatusBus, serveInBackground } from "./status-bus.js";

/** PostgreSQL's identifiers, and so its channel names, are at most 63 bytes. */
const MAX_CHANNEL_LENGTH = 63;
/** Random hex digits that end a reply channel's name. */
const REPLY_ID_LENGTH = 12;
/** The largest NOTIFY payload PostgreSQL accepts, in bytes (it refuses 8000 and more). */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999;
/** Characters of an answer per part: JSON escaping may double them, and the part's fields fit in the rest. */
const PART_TEXT_LENGTH = 3500;
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

/** JSON with every character beyond ASCII escaped, so its length is its size in bytes in any encoding. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** One answer as NOTIFY payloads: itself when it fits, else its parts. */
export function answerPayloads(report: unknown): string[] {
  const text = asciiJson(report);
  if (text.length <= MAX_NOTIFY_PAYLOAD_BYTES) return [text];
  const answer = randomBytes(8).toString("hex");
  const parts = Math.ceil(text.length / PART_TEXT_LENGTH);
  return Array.from({ length: parts }, (_, part) =>
    asciiJson({
      answer,
      part,
      parts,
      text: text.slice(part * PART_TEXT_LENGTH, (part + 1) * PART_TEXT_LENGTH),
    }),
  );
}

/** A part of an answer, or undefined for a payload that is a whole answer (or anything else). */
function partOf(payload: string): { answer: string; part: number; parts: number; text: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const v = value as Record<string, unknown> | null;
  if (
    typeof v?.answer === "string" &&
    Number.isSafeInteger(v.part) &&
    Number.isSafeInteger(v.parts) &&
    typeof v.text === "string"
  ) {
    return { answer: v.answer, part: v.part as number, parts: v.parts as number, text: v.text };
  }
  return undefined;
}

/**
 * The answers in `payloads`, parts joined. An answer missing parts is returned as a sentence (not JSON), so
 * the audit lists it as unreadable instead of dropping a host silently.
 */
export function joinAnswers(payloads: readonly string[]): string[] {
  const answers: string[] = [];
  const split = new Map<string, { parts: number; texts: Map<number, string> }>();
  for (const payload of payloads) {
    const part = partOf(payload);
    if (part === undefined) {
      answers.push(payload);
      continue;
    }
    const entry = split.get(part.answer) ?? { parts: part.parts, texts: new Map<number, string>() };
    entry.texts.set(part.part, part.text);
    split.set(part.answer, entry);
  }
  for (const [answer, { parts, texts }] of split) {
    const ordered = Array.from({ length: parts }, (_, i) => texts.get(i));
    answers.push(
      ordered.every((t) => t !== undefined)
        ? ordered.join("")
        : `incomplete answer ${answer}: ${texts.size} of ${parts} parts arrived`,
    );
  }
  return answers;
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
    private readonly logger: HostLogger,
  ) {
    this.channels = postgresStatusChannels(config.options.prefix ?? "default");
    this.channel = `PostgreSQL channel ${this.channels.requests}`;
  }

  /** Resolves after the first connection attempt; on failure keeps retrying in the background. */
  async serve(report: () => HostStatusReport): Promise<void> {
    if (this.abort.signal.aborted) return;
    const serving = serveInBackground((attempted) => this.listen(report, attempted));
    this.background = serving.background;
    await serving.attempted;
  }

  async gather(windowMs: number): Promise<string[]> {
    let client: pg.Client | undefined;
    try {
      client = await connectPostgresClient(this.clientConfig("request"), (error) =>
        this.logger.debug({ err: error }, "status channel: connection error"),
      );
      const replyTo = `${this.channels.replyPrefix}${randomBytes(REPLY_ID_LENGTH / 2).toString("hex")}`;
      const payloads: string[] = [];
      client.on("notification", (message) => {
        if (message.channel === replyTo && message.payload !== undefined) payloads.push(message.payload);
      });
      await client.query(`LISTEN ${client.escapeIdentifier(replyTo)}`);
      await client.query("SELECT pg_notify($1, $2)", [
        this.channels.requests,
        asciiJson({ replyTo, requester: this.config.hostId ?? null }),
      ]);
      await sleep(windowMs);
      return joinAnswers(payloads);
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
          this.logger.info(
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
      this.logger.warn(
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
    const stop = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, stop.signal]);
    if (signal.aborted) end(undefined);
    else signal.addEventListener("abort", () => end(undefined), { once: true });
    try {
      client.on("end", () => end(undefined));
      client.on("notification", (message) => {
        if (message.channel === this.channels.requests) this.answer(client, message.payload, report);
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
  private answer(client: pg.Client, request: string | undefined, report: () => HostStatusReport): void {
    let replyTo: unknown;
    try {
      replyTo = (JSON.parse(request ?? "") as { replyTo?: unknown }).replyTo;
    } catch {
      replyTo = undefined;
    }
    const { replyPrefix } = this.channels;
    if (
      typeof replyTo !== "string" ||
      !replyTo.startsWith(replyPrefix) ||
      replyTo.length > MAX_CHANNEL_LENGTH ||
      !/^[A-Za-z0-9_-]+$/.test(replyTo.slice(replyPrefix.length))
    ) {
      this.logger.debug({ channel: this.channel }, "ignored a malformed status request");
      return;
    }
    client
      .query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [replyTo, answerPayloads(report())])
      .catch((error: unknown) =>
        this.logger.warn({ err: error, channel: this.channel }, "cannot answer a status request"),
      );
  }
}
