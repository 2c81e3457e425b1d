// The status bus of the redis backend: Redis pub/sub. Requests go to `{lattice:<prefix>}:status` (hash-tagged
// like the backend's keys); each request names a reply channel under the same tag, where every host publishes
// its status.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { BackendUnavailableError, LatticeCacheError, PermissionDeniedError } from "@lattice-cache/core";
import { redisKeys } from "@lattice-cache/redis";
import type { HostConfig } from "../config/host-config.js";
import type { HostLogger } from "../observability/host-logger.js";
import { openFirst, redisEndpoints } from "../redis/redis-endpoints.js";
import { type RespConnection, RespErrorReply } from "../redis/resp-connection.js";
import type { HostStatusReport } from "./host-status-report.js";
import type { StatusBus } from "./status-bus.js";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/** The request channel and the prefix of reply channels of a lattice. */
export function redisStatusChannels(prefix: string): { requests: string; replyPrefix: string } {
  const tag = redisKeys(prefix).tag;
  return { requests: `${tag}:status`, replyPrefix: `${tag}:status-reply:` };
}

/** A {@link StatusBus} on Redis pub/sub, connected with the host's Redis settings. */
export class RedisStatusBus implements StatusBus {
  readonly channel: string;
  private readonly channels: { requests: string; replyPrefix: string };
  private readonly abort = new AbortController();
  private connections: RespConnection[] = [];
  private background: Promise<void> | undefined;

  constructor(
    private readonly config: HostConfig,
    private readonly logger: HostLogger,
  ) {
    this.channels = redisStatusChannels(config.prefix);
    this.channel = `Redis channel ${this.channels.requests}`;
  }

  /** Resolves after the first attempt to subscribe; keeps (re)subscribing in the background. */
  async serve(report: () => HostStatusReport): Promise<void> {
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => {
      firstAttempt = resolve;
    });
    this.background = this.serveForever(report, firstAttempt);
    await attempted;
  }

  async gather(windowMs: number): Promise<string[]> {
    const [subscriber, publisher] = await this.openPair();
    try {
      const replyTo = `${this.channels.replyPrefix}${randomBytes(8).toString("hex")}`;
      const answers: string[] = [];
      subscriber.onMessage((channel, message) => {
        if (channel === replyTo) answers.push(message);
      });
      await subscriber.command(["SUBSCRIBE", replyTo]);
      await publisher.command([
        "PUBLISH",
        this.channels.requests,
        JSON.stringify({ replyTo, requester: this.config.hostId ?? null }),
      ]);
      await sleep(windowMs);
      return answers;
    } catch (error) {
      throw typed(error);
    } finally {
      subscriber.close();
      publisher.close();
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    for (const c of this.connections.splice(0)) c.close();
    await this.background;
  }

  private async openPair(): Promise<[RespConnection, RespConnection]> {
    const timeout = this.config.connectTimeoutMs;
    try {
      const endpoints = await redisEndpoints(this.config.redis, timeout);
      // A subscribed connection takes no other commands: answers are published on a second one.
      const subscriber = await openFirst(endpoints, timeout);
      try {
        return [subscriber, await openFirst(endpoints, timeout)];
      } catch (error) {
        subscriber.close();
        throw error;
      }
    } catch (error) {
      throw typed(error);
    }
  }

  private async serveForever(report: () => HostStatusReport, firstAttempt: () => void): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.abort.signal.aborted) {
      let lost: Promise<void> | undefined;
      try {
        const [subscriber, publisher] = await this.openPair();
        if (this.abort.signal.aborted) {
          subscriber.close();
          publisher.close();
          break;
        }
        this.connections = [subscriber, publisher];
        lost = new Promise<void>((resolve) => {
          subscriber.onClose(resolve);
          publisher.onClose(resolve);
        });
        subscriber.onMessage((_channel, message) => this.answer(publisher, message, report));
        await subscriber.command(["SUBSCRIBE", this.channels.requests]);
        this.logger.info({ channel: this.channel }, "answering status requests");
        delay = FIRST_RETRY_MS;
      } catch (error) {
        for (const c of this.connections.splice(0)) c.close();
        this.logger.warn(
          { retryInMs: delay, channel: this.channel },
          `status channel: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      firstAttempt();
      if (lost) {
        await Promise.race([lost, abortion(this.abort.signal)]);
        for (const c of this.connections.splice(0)) c.close();
        if (this.abort.signal.aborted) break;
        this.logger.warn({ channel: this.channel }, "status channel: connection lost; reconnecting");
      }
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        break;
      }
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
    firstAttempt();
  }

  private answer(publisher: RespConnection, request: string, report: () => HostStatusReport): void {
    let replyTo: unknown;
    try {
      replyTo = (JSON.parse(request) as { replyTo?: unknown }).replyTo;
    } catch {
      replyTo = undefined;
    }
    // Only reply channels of this lattice: a stray message must not make hosts publish anywhere else.
    if (typeof replyTo !== "string" || !replyTo.startsWith(this.channels.replyPrefix)) {
      this.logger.debug({ channel: this.channel }, "ignored a malformed status request");
      return;
    }
    publisher
      .command(["PUBLISH", replyTo, JSON.stringify(report())])
      .catch((error: unknown) => this.logger.warn({ err: error }, "cannot answer a status request"));
  }
}

function abortion(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function typed(error: unknown): Error {
  if (error instanceof RespErrorReply && ["WRONGPASS", "NOAUTH", "NOPERM"].includes(error.kind)) {
    return new PermissionDeniedError(error.message, { cause: error });
  }
  if (LatticeCacheError.isInstance(error)) return error;
  return new BackendUnavailableError("redis", error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
