// Which lattices exist on a Redis deployment: a lattice exists once its epoch key `{lattice:<prefix>}:epoch`
// does (the backend creates it when it provisions the lattice). Reads key names only; creates nothing.
import { Cluster, type Redis } from "ioredis";
import { parseRedisBackendOptions, type RedisBackendOptions } from "./redis-backend-options.js";
import { redisClientOf } from "./redis-client-factory.js";
import { redactSecrets, toLatticeError } from "./redis-errors.js";
import { redisKeys } from "./redis-keys.js";

const EPOCH_KEY = redisKeys("PREFIX").epoch;
const [KEY_HEAD, KEY_TAIL] = EPOCH_KEY.split("PREFIX") as [string, string];
const SCAN_BATCH = 1000;

/**
 * The prefixes of every lattice whose epoch key exists, sorted: SCAN for `{lattice:*}:epoch` (on every
 * master of a Cluster). Connects with the backend's connection options, never reconnects, disconnects.
 * Throws `ConfigurationError` for invalid options, as `RedisBackend` does.
 * Throws `BackendUnavailableError` when Redis cannot be reached, `PermissionDeniedError` when the ACL
 * refuses SCAN.
 */
export async function listRedisLattices(options: RedisBackendOptions): Promise<string[]> {
  const resolved = parseRedisBackendOptions(options);
  // A refused password arrives as an error event; the failed connect() only says the connection closed.
  let refusal: unknown;
  const client = redisClientOf(resolved, {
    connectTimeoutMs: resolved.connectTimeoutMs,
    socketTimeoutMs: resolved.commandTimeoutMs,
    reconnect: false,
    onError: (error) => {
      refusal ??= error;
    },
  });
  try {
    await client.connect();
    const nodes: Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
    const prefixes = new Set<string>();
    for (const node of nodes) {
      for (const key of await scanAll(node, `${KEY_HEAD}*${KEY_TAIL}`)) {
        prefixes.add(key.slice(KEY_HEAD.length, key.length - KEY_TAIL.length));
      }
    }
    return [...prefixes].sort();
  } catch (error) {
    throw toLatticeError(redactSecrets(refusal ?? error), "list the lattices");
  } finally {
    client.disconnect();
  }
}

async function scanAll(node: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", SCAN_BATCH);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}
