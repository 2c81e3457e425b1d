// The status bus of the redis backend: Redis pub/sub. Requests go to `{lattice:<prefix>}:status` (hash-tagged
// like the backend's keys); each request names a reply channel under the same tag, where every host publishes
// its status.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type RedisClient, redisKeys, toLatticeError } from "@lattice-cache/redis";
import type { CoreConfig } from "../config/core-settings.js";
import type { HostLogger } from "../observability/host-logger.js";
import { connectRedisClient, hostRedisClient } from "../redis/redis-client.js";
import type { RedisSettings } from "../redis/redis-settings.js";
import type { HostStatusReport } from "./host-status-report.js";
import type { StatusBus } from "./status-bus.js";

/** The request channel and the prefix of reply channels of a lattice. */
export function redisStatusChannels(prefix: string): { requests: string; replyPrefix: string } {
  const tag = redisKeys(prefix).tag;
  return { requests: `${tag}:status`, replyPrefix: `${tag}:status-reply:` };
}

/** What the Redis status bus reads of a host's configuration: its identity and the Redis settings. */
export type RedisStatusBusConfig = Pick<CoreConfig, "prefix" | "hostId" | "connectTimeoutMs"> & {
  readonly redis: RedisSettings;
};

/**
 * A {@link StatusBus} on Redis pub/sub (ioredis), connected with the host's Redis settings. A host's
 * connections reconnect forever and ioredis resubscribes after each reconnection; a requester's fail fast.
 */
export class RedisStatusBus implements StatusBus {
  readonly channel: string;
  private readonly channels: { requests: string; replyPrefix: string };
  private clients: RedisClient[] = [];
  private closed = false;

  constructor(
    private readonly config: RedisStatusBusConfig,
    private readonly logger: HostLogger,
  ) {
    this.channels = redisStatusChannels(config.prefix);
    this.channel = `Redis channel ${this.channels.requests}`;
  }

  /** Resolves once subscribed, or after the first failed attempt (ioredis keeps retrying in the background). */
  async serve(report: () => HostStatusReport): Promise<void> {
    if (this.closed) return;
    let firstError!: () => void;
    const failedOnce = new Promise<void>((resolve) => {
      firstError = resolve;
    });
    const subscriber = this.client("status-subscriber", true, (error) => {
      this.logger.warn({ channel: this.channel }, `status channel: ${error.message}; retrying`);
      firstError();
    });
    // A subscribed connection takes no other commands: answers are published on a second one.
    const publisher = this.client("status-publisher", true, (error) =>
      this.logger.debug({ channel: this.channel, err: error }, "status channel: publisher connection error"),
    );
    this.clients.push(subscriber, publisher);
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.channels.requests) this.answer(publisher, message, report);
    });
    // Both retry by themselves after a failed first attempt (the rejection only reports that attempt).
    subscriber.connect().catch(() => {});
    publisher.connect().catch(() => {});
    let subscribedOnce = false;
    subscriber.on("ready", () => {
      if (subscribedOnce) this.logger.info({ channel: this.channel }, "status channel: reconnected");
    });
    // Queued until the connection is up; ioredis subscribes again after every reconnection.
    const subscribed = subscriber.subscribe(this.channels.requests).then(
      () => {
        subscribedOnce = true;
        this.logger.info({ channel: this.channel }, "answering status requests");
      },
      (error: unknown) => {
        if (!this.closed) this.logger.warn({ err: error, channel: this.channel }, "cannot subscribe");
      },
    );
    await Promise.race([subscribed, failedOnce]);
  }

  async gather(windowMs: number): Promise<string[]> {
    const noteError = (error: Error) => this.logger.debug({ err: error }, "status channel: connection error");
    const subscriber = this.client("status-request", false, noteError);
    const publisher = this.client("status-request", false, noteError);
    try {
      await Promise.all([connectRedisClient(subscriber), connectRedisClient(publisher)]);
      const replyTo = `${this.channels.replyPrefix}${randomBytes(8).toString("hex")}`;
      const answers: string[] = [];
      subscriber.on("message", (channel: string, message: string) => {
        if (channel === replyTo) answers.push(message);
      });
      await subscriber.subscribe(replyTo);
      await publisher.publish(
        this.channels.requests,
        JSON.stringify({ replyTo, requester: this.config.hostId ?? null }),
      );
      await sleep(windowMs);
      return answers;
    } catch (error) {
      throw toLatticeError(error, "ask for the hosts' status");
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of this.clients.splice(0)) client.disconnect();
  }

  private client(role: string, persistent: boolean, onError: (error: Error) => void): RedisClient {
    return hostRedisClient(this.config.redis, {
      name: `lattice-cache-${role}:${this.config.hostId ?? "anonymous"}`,
      connectTimeoutMs: this.config.connectTimeoutMs,
      persistent,
      // The subscriber's SUBSCRIBE waits for the connection; a late answer would only mislead.
      offlineQueue: persistent && role === "status-subscriber",
      onError,
    });
  }

  private answer(publisher: RedisClient, request: string, report: () => HostStatusReport): void {
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
      .publish(replyTo, JSON.stringify(report()))
      .catch((error: unknown) => this.logger.warn({ err: error }, "cannot answer a status request"));
  }
}
