import { connect } from "node:net";
import { LOOPBACK } from "./free-port.js";
import { encodeCommand, RedisReplyError, RespParser, type RespValue } from "./resp-codec.js";

/** Where and as whom {@link redisCommand} connects. */
export interface RedisCommandTarget {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  /** ACL user name; with a password, `AUTH username password` is sent first. */
  username?: string;
  /** Password; without a username, `AUTH password` (the default user) is sent first. */
  password?: string;
  /** Socket inactivity timeout in milliseconds (default 5 000). */
  timeoutMs?: number;
}

/**
 * Opens one connection, authenticates if credentials are given, sends every command pipelined and
 * resolves with their replies (the AUTH reply excluded). Error replies are returned as
 * {@link RedisReplyError} values, except a failed AUTH, which rejects.
 */
export function redisPipeline(
  target: RedisCommandTarget,
  commands: readonly string[][],
): Promise<RespValue[]> {
  const auth: string[][] = [];
  if (target.password !== undefined) {
    auth.push(
      target.username !== undefined ? ["AUTH", target.username, target.password] : ["AUTH", target.password],
    );
  }
  const all = [...auth, ...commands];
  const timeoutMs = target.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const replies: RespValue[] = [];
    const parser = new RespParser();
    const socket = connect({ host: target.host ?? LOOPBACK, port: target.port });
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) {
        return;
      }
      settled = true;
      socket.destroy();
      if (error !== undefined) {
        reject(error);
        return;
      }
      const authReply = replies[0];
      if (auth.length > 0 && authReply instanceof RedisReplyError) {
        reject(new RedisReplyError(`AUTH failed: ${authReply.message}`));
        return;
      }
      resolve(replies.slice(auth.length));
    };
    socket.setTimeout(timeoutMs, () =>
      settle(new Error(`redis 127.0.0.1:${target.port}: no reply within ${timeoutMs}ms`)),
    );
    socket.once("error", (error) => settle(error));
    socket.once("close", () =>
      settle(new Error(`redis 127.0.0.1:${target.port}: connection closed after ${replies.length} replies`)),
    );
    socket.on("data", (chunk: Buffer) => {
      try {
        replies.push(...parser.push(chunk));
      } catch (error) {
        settle(error as Error);
        return;
      }
      if (replies.length >= all.length) {
        settle(undefined);
      }
    });
    socket.once("connect", () => {
      socket.write(Buffer.concat(all.map((command) => encodeCommand(command))));
    });
  });
}

/**
 * Runs one command over a fresh connection (authenticating first if credentials are given) and resolves
 * with the decoded reply; an error reply rejects with {@link RedisReplyError}.
 */
export async function redisCommand(target: RedisCommandTarget, ...args: string[]): Promise<RespValue> {
  if (args.length === 0) {
    throw new Error("redisCommand: no command given");
  }
  const [reply] = await redisPipeline(target, [args]);
  if (reply instanceof RedisReplyError) {
    throw reply;
  }
  return reply ?? null;
}
