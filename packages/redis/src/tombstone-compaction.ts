// Tombstone compaction on Redis (rule 6, bounded storage): HSCAN the entries hash; a tombstone record whose
// delete time is older than the cutoff is removed — from the hash (HDEL) and its change-log entry (XDEL) —
// by one script per chunk that first checks it is still that tombstone (same revision), so a key written
// again meanwhile is never touched. A feed that would read across a removed change-log entry finds a hole
// (core's followLog reads the log for contiguity) or a log that starts later than it needs: a gap, and a
// resync. Tombstones written before records carried a time get one now — the time of the first compaction
// that sees them — and become due a retention later. Both keys share the lattice's hash tag (Redis Cluster).
// Rules cited here: docs/semantics.md#rule-6, #rule-9.
import {
  type BackendEntry,
  type CompactionReport,
  type CompactionRequest,
  CompactionScan,
} from "@lattice-cache/core/backend";
import { decodeEntryRecord, type EntryRecord } from "./entry-record.js";
import type { RedisClient } from "./lua-scripts.js";
import { toLatticeError } from "./redis-errors.js";
import type { RedisKeyLayout } from "./redis-keys.js";

/** Fields asked of one HSCAN call. */
const SCAN_COUNT = 1000;

/**
 * Removes (`remove`) or time-stamps (`stamp`) tombstone records, each only while the field still holds a
 * tombstone at the given revision; a stamp only where the record carries no time yet.
 *
 * KEYS: entries, changes. ARGV: mode ('remove' | 'stamp'), the time to stamp (ms), then field, revision pairs.
 * Returns the fields acted on.
 */
const TOMBSTONE_SCRIPT = `
local acted = {}
for i = 3, #ARGV, 2 do
  local field, rev = ARGV[i], ARGV[i + 1]
  local record = redis.call('HGET', KEYS[1], field)
  if record then
    local head, length = string.match(record, '^(' .. rev .. ':d:(%d+):)')
    if head then
      if ARGV[1] == 'remove' then
        redis.call('HDEL', KEYS[1], field)
        redis.call('XDEL', KEYS[2], rev .. '-0')
        acted[#acted + 1] = field
      elseif string.len(record) == string.len(head) + tonumber(length) then
        redis.call('HSET', KEYS[1], field, record .. ARGV[2])
        acted[#acted + 1] = field
      end
    end
  end
end
return acted
`;

interface TombstoneCommands {
  latticeTombstones(...args: string[]): Promise<string[]>;
}

/** A tombstone record found in the hash. */
export interface FoundTombstone {
  readonly key: string;
  readonly revision: number;
  readonly deletedAt: number | undefined;
}

/** The script, defined once per client. */
function commandsOf(client: RedisClient): TombstoneCommands {
  const commands = client as unknown as Partial<TombstoneCommands>;
  if (typeof commands.latticeTombstones !== "function") {
    client.defineCommand("latticeTombstones", { numberOfKeys: 2, lua: TOMBSTONE_SCRIPT });
  }
  return client as unknown as TombstoneCommands;
}

/**
 * Removes (`remove`), or stamps with the current time (`stamp`), the tombstone records `found` — each only
 * while its field still holds a tombstone at that revision. Resolves with the keys acted on.
 */
export async function actOnTombstones(
  client: RedisClient,
  keys: RedisKeyLayout,
  mode: "remove" | "stamp",
  found: readonly FoundTombstone[],
): Promise<string[]> {
  if (found.length === 0) return [];
  return commandsOf(client).latticeTombstones(
    keys.entries,
    keys.changes,
    mode,
    String(Date.now()),
    ...found.flatMap((t) => [t.key, String(t.revision)]),
  );
}

/** Compacts the lattice's tombstones (see the file comment); a dry run removes and stamps nothing. */
export async function compactTombstones(
  client: RedisClient,
  keys: RedisKeyLayout,
  request: CompactionRequest,
): Promise<CompactionReport> {
  const scan = new CompactionScan(request);
  const reported = new Set<string>();
  try {
    let cursor = "0";
    do {
      const [next, flat] = await client.hscanBuffer(keys.entries, cursor, "COUNT", SCAN_COUNT);
      cursor = next.toString("latin1");
      const tombstones = tombstonesIn(flat, scan);
      const due = tombstones.filter(
        (t) => t.deletedAt !== undefined && scan.due(t.deletedAt) && !reported.has(t.key),
      );
      const removed = scan.dryRun
        ? due.map((t) => t.key)
        : await actOnTombstones(client, keys, "remove", due);
      for (const t of due.filter((d) => removed.includes(d.key))) {
        reported.add(t.key);
        scan.removed(t.key, t.revision, t.deletedAt as number);
      }
      const untimed = tombstones.filter((t) => t.deletedAt === undefined);
      if (!scan.dryRun) await actOnTombstones(client, keys, "stamp", untimed);
    } while (cursor !== "0");
  } catch (error) {
    throw toLatticeError(error, `compact the tombstones of ${keys.tag}`);
  }
  return scan.report();
}

/** The key's latest stored change (see `LatticeBackend.read`); a tombstone with its delete time. */
export async function readEntry(
  client: RedisClient,
  keys: RedisKeyLayout,
  key: string,
): Promise<BackendEntry | undefined> {
  let raw: Buffer | null;
  try {
    raw = await client.hgetBuffer(keys.entries, key);
  } catch (error) {
    throw toLatticeError(error, `read ${key}`);
  }
  if (raw === null) return undefined;
  const record = decodeEntryRecord(raw);
  return {
    key,
    value: record.value,
    revision: record.revision,
    ...(record.origin === "" ? {} : { origin: record.origin }),
    ...(record.deletedAt === undefined ? {} : { writtenAt: record.deletedAt }),
  };
}

/** The tombstones among one HSCAN reply's field/record pairs (all counted as scanned; malformed ones skipped). */
function tombstonesIn(flat: readonly Buffer[], scan: CompactionScan): FoundTombstone[] {
  const found: FoundTombstone[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    scan.scanned();
    let record: EntryRecord;
    try {
      record = decodeEntryRecord(flat[i + 1] as Buffer);
    } catch {
      continue;
    }
    if (record.value !== null) continue;
    found.push({
      key: (flat[i] as Buffer).toString("utf8"),
      revision: record.revision,
      deletedAt: record.deletedAt,
    });
  }
  return found;
}
