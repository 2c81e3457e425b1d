// The Lua scripts that make each lattice operation atomic on the server, registered with ioredis
// `defineCommand` (EVALSHA, falling back to EVAL after a script-cache flush or a restart).
// All keys of a lattice share one hash tag, so the scripts also run on Redis Cluster.
// Rules cited here: docs/semantics.md#rule-4.
import { randomUUID } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import type { RedisKeyLayout } from "./redis-keys.js";

/** A connection to a standalone/Sentinel server or to a cluster. */
export type RedisClient = Redis | Cluster;

// Shared Lua helpers. Status replies are tables with `ok`, error replies tables with `err` under pcall.
const ENSURE_EPOCH = `
local function ensure_epoch(key, candidate)
  local epoch = redis.call('GET', key)
  if epoch then return epoch end
  -- First use, or the server lost our keys (restart without persistence): a new history begins.
  -- pcall: a read-only ACL user cannot create it; it then reads as '' until a writer does.
  local set = redis.pcall('SET', key, candidate, 'NX')
  if type(set) == 'table' and set.err then return '' end
  return redis.call('GET', key) or ''
end
`;

const LEADING_NUMBER = `
local function leading_number(text)
  return tonumber(string.match(text, '^(%d+)')) or 0
end
`;

/**
 * The conditional check (core conflict-rules: expected 0 = missing or deleted; a deleted key's comparable
 * revision is 0, its tombstone revision is accepted too), the revision bump, the change-log append and
 * the entry write, in one atomic script.
 *
 * KEYS: entries, revision, epoch, changes.
 * ARGV: storage key, kind ('v' value | 'd' tombstone), value bytes, expected revision ('' = unconditional),
 * origin, change-log MAXLEN, epoch candidate, the write time in ms (kept in a tombstone's record, for
 * compaction: tombstone-compaction.ts), the epoch the expected revision belongs to ('' = any; core's
 * `historyAccepts`: only an expected revision above 0 is tied to its history).
 * Returns {1, revision} on success, {0, current comparable revision} on a conflict, {2, current comparable
 * revision} when the expected revision belongs to another history than the lattice's (rule 4).
 */
const WRITE_SCRIPT = `${ENSURE_EPOCH}${LEADING_NUMBER}
local record = redis.call('HGET', KEYS[1], ARGV[1])
local current, deleted = 0, true
if record then
  local r, kind = string.match(record, '^(%d+):(%a)')
  current = tonumber(r) or 0
  deleted = kind == 'd'
end
if ARGV[4] ~= '' then
  local expected = tonumber(ARGV[4])
  local comparable = current
  if deleted then comparable = 0 end
  if expected > 0 and ARGV[9] and ARGV[9] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[9] then
    return {2, comparable}
  end
  if expected ~= comparable and not (record and deleted and expected == current) then
    return {0, comparable}
  end
end
local epoch = ensure_epoch(KEYS[3], ARGV[7])
local counter = redis.call('GET', KEYS[2])
local last
if counter then
  last = tonumber(counter)
else
  -- The counter is gone but data may remain (evicted or deleted by hand): never reuse a revision.
  last = 0
  local top = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)
  if top[1] then last = leading_number(top[1][1]) end
  for _, value in ipairs(redis.call('HVALS', KEYS[1])) do
    local r = leading_number(value)
    if r > last then last = r end
  end
end
local revision = last + 1
local rev = string.format('%d', revision)
local fields = {'op', 'put', 'key', ARGV[1], 'revision', rev, 'origin', ARGV[5], 'epoch', epoch}
if ARGV[2] == 'd' then
  fields[2] = 'del'
else
  fields[#fields + 1] = 'value'
  fields[#fields + 1] = ARGV[3]
end
-- The append goes first: it is the only step that can fail (a stream ahead of the counter), and a
-- failing script must not have written anything.
local added = redis.pcall('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], rev .. '-0', unpack(fields))
if type(added) == 'table' and added.err then
  return redis.error_reply(added.err .. ' (appending revision ' .. rev .. ' to ' .. KEYS[4] .. ')')
end
redis.call('SET', KEYS[2], rev)
-- A value's bytes follow the origin; a tombstone carries its delete time there (ms, the writer's clock).
local value = ARGV[8] or ''
if ARGV[2] ~= 'd' then value = ARGV[3] end
redis.call('HSET', KEYS[1], ARGV[1], rev .. ':' .. ARGV[2] .. ':' .. string.len(ARGV[5]) .. ':' .. ARGV[5] .. value)
return {1, revision}
`;

/**
 * A consistent snapshot: the revision counter, the epoch, the number of entries and — when there are at
 * most ARGV[2] of them — every entry, all read atomically.
 *
 * KEYS: entries, revision, epoch. ARGV: epoch candidate, largest entry count returned inline.
 * Returns {revision, epoch, entry count, {field, record, field, record, ...} or {}}.
 */
const SNAPSHOT_SCRIPT = `${ENSURE_EPOCH}
local epoch = ensure_epoch(KEYS[3], ARGV[1])
local revision = tonumber(redis.call('GET', KEYS[2]) or '0')
local size = redis.call('HLEN', KEYS[1])
local records = {}
if size <= tonumber(ARGV[2]) then records = redis.call('HGETALL', KEYS[1]) end
return {revision, epoch, size, records}
`;

/**
 * The head: revision counter, epoch, and the first revision the change log still holds (0 when empty).
 *
 * KEYS: revision, epoch, changes. ARGV: epoch candidate, or '' to only read (the epoch then reads as ''
 * while there is none).
 */
const HEAD_SCRIPT = `${ENSURE_EPOCH}${LEADING_NUMBER}
local epoch = ''
if ARGV[1] == '' then epoch = redis.call('GET', KEYS[2]) or '' else epoch = ensure_epoch(KEYS[2], ARGV[1]) end
local revision = tonumber(redis.call('GET', KEYS[1]) or '0')
local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
local oldest = 0
if first[1] then oldest = leading_number(first[1][1]) end
return {revision, epoch, oldest}
`;

/** What the head script reports. */
export interface LatticeHead {
  /** The latest revision (0 for an empty lattice). */
  readonly revision: number;
  /** The id of the current history ('' when a read-only user found none yet). */
  readonly epoch: string;
  /** The oldest revision still in the change log, 0 when the log is empty. */
  readonly oldestLogged: number;
}

/** What the snapshot script reports. */
export interface LatticeSnapshot {
  readonly revision: number;
  readonly epoch: string;
  /** Number of fields in the entries hash. */
  readonly size: number;
  /** `[field, record]` pairs, or `undefined` when the hash was larger than the inline limit. */
  readonly records: Array<[Buffer, Buffer]> | undefined;
}

/** The outcome of the write script. */
export type ScriptWriteOutcome =
  | { readonly written: true; readonly revision: number }
  | { readonly written: false; readonly currentRevision: number; readonly otherHistory: boolean };

/** One write as the script takes it. */
export interface ScriptWrite {
  readonly key: string;
  readonly value: Uint8Array | null;
  readonly expectedRevision?: number | undefined;
  readonly expectedEpoch?: string | undefined;
  readonly origin: string;
}

// The methods `defineCommand` adds, typed. ioredis adds a `…Buffer` twin that keeps bulk strings as Buffers.
interface ScriptCommands {
  latticeWrite(...args: Array<string | Buffer>): Promise<[number, number]>;
  latticeSnapshotBuffer(...args: string[]): Promise<[number, Buffer, number, Buffer[]]>;
  latticeHead(...args: string[]): Promise<[number, string, number]>;
}

/** The lattice scripts bound to one client and one key layout. */
export class LatticeScripts {
  private readonly commands: ScriptCommands;

  constructor(
    client: RedisClient,
    private readonly keys: RedisKeyLayout,
    private readonly changeLogLength: number,
  ) {
    client.defineCommand("latticeWrite", { numberOfKeys: 4, lua: WRITE_SCRIPT });
    client.defineCommand("latticeSnapshot", { numberOfKeys: 3, lua: SNAPSHOT_SCRIPT });
    client.defineCommand("latticeHead", { numberOfKeys: 3, lua: HEAD_SCRIPT });
    this.commands = client as unknown as ScriptCommands;
  }

  /** Runs the atomic conditional write. */
  async write(request: ScriptWrite): Promise<ScriptWriteOutcome> {
    const k = this.keys;
    const value = request.value === null ? "" : toBuffer(request.value);
    const [status, revision] = await this.commands.latticeWrite(
      k.entries,
      k.revision,
      k.epoch,
      k.changes,
      request.key,
      request.value === null ? "d" : "v",
      value,
      request.expectedRevision === undefined ? "" : String(request.expectedRevision),
      request.origin,
      String(this.changeLogLength),
      randomUUID(),
      String(Date.now()),
      request.expectedEpoch ?? "",
    );
    return status === 1
      ? { written: true, revision }
      : { written: false, currentRevision: revision, otherHistory: status === 2 };
  }

  /** Reads counter, epoch and (up to `inlineLimit` entries) the whole hash atomically. */
  async snapshot(inlineLimit: number): Promise<LatticeSnapshot> {
    const k = this.keys;
    const [revision, epoch, size, flat] = await this.commands.latticeSnapshotBuffer(
      k.entries,
      k.revision,
      k.epoch,
      randomUUID(),
      String(inlineLimit),
    );
    let records: Array<[Buffer, Buffer]> | undefined;
    if (size <= inlineLimit) {
      records = [];
      for (let i = 0; i + 1 < flat.length; i += 2) records.push([flat[i] as Buffer, flat[i + 1] as Buffer]);
    }
    return { revision, epoch: epoch.toString("utf8"), size, records };
  }

  /**
   * Reads counter, epoch and the oldest logged revision atomically. Only with `provision` does it create
   * the epoch when there is none (a new history begins); otherwise it writes nothing.
   */
  async head(provision = false): Promise<LatticeHead> {
    const k = this.keys;
    const [revision, epoch, oldestLogged] = await this.commands.latticeHead(
      k.revision,
      k.epoch,
      k.changes,
      provision ? randomUUID() : "",
    );
    return { revision, epoch, oldestLogged };
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
