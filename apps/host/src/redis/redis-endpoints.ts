// Where the host's own Redis connections (the status channel) go: the configured server, a Cluster node
// (classic pub/sub reaches every node of a cluster), or the master a Sentinel names.
import { BackendUnavailableError } from "@lattice-cache/core";
import type { RedisConfig } from "../config/host-config.js";
import { RespConnection, type RespEndpoint } from "./resp-connection.js";

/** Candidate endpoints in the order to try them, with the configured credentials and TLS. */
export async function redisEndpoints(redis: RedisConfig, timeoutMs: number): Promise<RespEndpoint[]> {
  const url = new URL(redis.url);
  const tls = redis.tls || url.protocol === "rediss:";
  const username = redis.username ?? (url.username === "" ? undefined : decodeURIComponent(url.username));
  const password = redis.password ?? (url.password === "" ? undefined : decodeURIComponent(url.password));
  const credentials = {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
  if (redis.cluster) return redis.cluster.map((node) => ({ ...hostPort(node), tls, ...credentials }));
  if (redis.sentinel) {
    const master = await askSentinels(redis.sentinel.name, redis.sentinel.sentinels, timeoutMs);
    return [{ ...master, tls, ...credentials }];
  }
  return [
    { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port || 6379), tls, ...credentials },
  ];
}

/** Opens a connection to the first endpoint that answers. */
export async function openFirst(
  endpoints: readonly RespEndpoint[],
  timeoutMs: number,
): Promise<RespConnection> {
  let last: unknown;
  for (const endpoint of endpoints) {
    try {
      return await RespConnection.open(endpoint, timeoutMs);
    } catch (error) {
      // A refused password is not a reason to try the next node: every node would refuse it.
      if (error instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM)/.test(error.message)) throw error;
      last = error;
    }
  }
  throw new BackendUnavailableError(
    "redis",
    `no Redis answered at ${endpoints.map((e) => `${e.host}:${e.port}`).join(", ")}: ${
      last instanceof Error ? last.message : String(last)
    }`,
    { cause: last },
  );
}

async function askSentinels(
  name: string,
  sentinels: readonly string[],
  timeoutMs: number,
): Promise<{ host: string; port: number }> {
  const problems: string[] = [];
  for (const sentinel of sentinels) {
    let connection: RespConnection | undefined;
    try {
      connection = await RespConnection.open({ ...hostPort(sentinel), tls: false }, timeoutMs);
      const reply = await connection.command(["SENTINEL", "get-master-addr-by-name", name]);
      if (Array.isArray(reply) && typeof reply[0] === "string" && reply[1] !== undefined) {
        return { host: reply[0], port: Number(reply[1]) };
      }
      problems.push(`${sentinel} does not know master ${name}`);
    } catch (error) {
      problems.push(`${sentinel}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      connection?.close();
    }
  }
  throw new BackendUnavailableError("redis", `no Sentinel named master ${name}: ${problems.join("; ")}`);
}

function hostPort(text: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text.replace(/^rediss?:\/\//, ""));
  return match ? { host: match[1] as string, port: Number(match[2]) } : { host: text, port: 6379 };
}
