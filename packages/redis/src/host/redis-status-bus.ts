// The status bus of the redis backend: Redis pub/sub. Requests go to `{lattice:<prefix>}:status` (hash-tagged
// like the backend's keys); each request names a reply channel under the same tag, where every host publishes
// its status — only there: a request naming any other channel (another application's, a keyspace
// notification's) is ignored and counted (issue 27: the host trusts no peer).
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  HostStatusReport,
  PluginHostConfig,
  StatusBus,
  StatusChannelContext,
} from "@lattice-cache/plugin";
import {
  encodeStatusRequest,
  type GatheredStatus,
  newStatusRequest,
  STATUS_LIMITS,
  StatusIntake,
  StatusResponder,
} from "@lattice-cache/plugin";
import type { RedisClient } from "../lua-scripts.js";
import { toLatticeError } from "../redis-errors.js";
import { redisKeys } from "../redis-keys.js";
import type { RedisSettings } from "../redis-settings.js";
import { connectRedisClient, hostRedisClient } from "./host-redis-client.js";

/** The request channel and the prefix of reply channels of a lattice. */
export function redisStatusChannels(prefix: string): { requests: string; replyPrefix: string } {
  const tag = redisKeys(prefix).tag;
  return { requests: `${tag}:status`, replyPrefix: `${tag}:status-reply:` };
}

/** What a reply channel's name holds after the lattice's reply prefix. */
const REPLY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `replyTo` is a reply channel of the lattice whose reply channels start with `replyPrefix`. */
export function isRedisReplyChannel(replyTo: unknown, replyPrefix: string): replyTo is string {
  return (
    typeof replyTo === "string" &&
    replyTo.length <= STATUS_LIMITS.replyToLength &&
    replyTo.startsWith(replyPrefix) &&
    REPLY_ID.test(replyTo.slice(replyPrefix.length))
  );
}

/** What the Redis status bus reads of a host's configuration: its identity and the Redis settings. */
export type RedisStatusBusConfig = Pick<PluginHostConfig, "prefix" | "hostId" | "connectTimeoutMs"> & {
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
    private readonly context: StatusChannelContext,
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
    const logger = this.context.logger;
    const subscriber = this.client("status-subscriber", true, (error) => {
      logger.warn({ channel: this.channel }, `status channel: ${error.message}; retrying`);
      firstError();
    });
    // A subscribed connection takes no other commands: answers are published on a second one.
    const publisher = this.client("status-publisher", true, (error) =>
      logger.debug({ channel: this.channel, err: error }, "status channel: publisher connection error"),
    );
    this.clients.push(subscriber, publisher);
    const responder = new StatusResponder("redis", this.context, report);
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.channels.requests) this.answer(publisher, message, responder);
    });
    // Both retry by themselves after a failed first attempt (the rejection only reports that attempt).
    subscriber.connect().catch(() => {});
    publisher.connect().catch(() => {});
    let subscribedOnce = false;
    subscriber.on("ready", () => {
      if (subscribedOnce) logger.info({ channel: this.channel }, "status channel: reconnected");
    });
    // Queued until the connection is up; ioredis subscribes again after every reconnection.
    const subscribed = subscriber.subscribe(this.channels.requests).then(
      () => {
        subscribedOnce = true;
        logger.info({ channel: this.channel }, "answering status requests");
      },
      (error: unknown) => {
        if (!this.closed) logger.warn({ err: error, channel: this.channel }, "cannot subscribe");
      },
    );
    await Promise.race([subscribed, failedOnce]);
  }

  async gather(windowMs: number): Promise<GatheredStatus> {
    const noteError = (error: Error) =>
      this.context.logger.debug({ err: error }, "status channel: connection error");
    const subscriber = this.client("status-request", false, noteError);
    const publisher = this.client("status-request", false, noteError);
    try {
      await Promise.all([connectRedisClient(subscriber), connectRedisClient(publisher)]);
      const replyTo = `${this.channels.replyPrefix}${randomBytes(8).toString("hex")}`;
      const request = newStatusRequest(this.config.hostId ?? null, replyTo);
      const intake = new StatusIntake("redis", this.context, request.nonce);
      subscriber.on("messageBuffer", (channel: Buffer, message: Buffer) => {
        if (channel.toString() === replyTo) intake.offer(message);
      });
      await subscriber.subscribe(replyTo);
      await publisher.publish(this.channels.requests, encodeStatusRequest(request));
      await sleep(windowMs);
      return intake.result();
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

  private answer(publisher: RedisClient, message: string, responder: StatusResponder): void {
    const request = responder.request(message);
    if (!request) return;
    // Only reply channels of this lattice: a request must not make hosts publish anywhere else.
    if (!isRedisReplyChannel(request.replyTo, this.channels.replyPrefix)) {
      responder.refuseReplyTo(request.replyTo);
      return;
    }
    publisher
      .publish(request.replyTo, responder.answer(request))
      .catch((error: unknown) => this.context.logger.warn({ err: error }, "cannot answer a status request"));
  }
}
