// What a backend really stores, read around lattice-cache (raw nats.js / ioredis / node-postgres), and the
// rule-2 digest a replica holding exactly that must report.
import {
  type CollectionCodec,
  claimsCodec,
  type LatticeCache,
  linkdefsCodec,
  refmapsCodec,
} from "@lattice-cache/core";
import { entryHash, SetDigest } from "@lattice-cache/core/backend";
import type { RawPostgresLattice } from "@lattice-cache/postgres/testing";
import { redisKeys } from "@lattice-cache/redis";
import { decodeEntryRecord } from "@lattice-cache/redis/testing";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Redis } from "ioredis";

/** One key as the server stores it: the latest revision and its value (`text` null = tombstone). */
export interface StoredValue {
  readonly revision: number;
  /** Canonical JSON of the decoded value, or `null` for a delete marker. */
  readonly text: string | null;
  /** The value's canonical encoding (what the digest hashes), `null` for a delete marker. */
  readonly bytes: Uint8Array | null;
}

/** Storage key → what the server holds. */
export type StoredState = ReadonlyMap<string, StoredValue>;

function codecOf(key: string): CollectionCodec<unknown, unknown> {
  if (key.startsWith("LINKDEF_")) return linkdefsCodec as CollectionCodec<unknown, unknown>;
  if (key.startsWith("CLAIMS_")) return claimsCodec as CollectionCodec<unknown, unknown>;
  if (key.startsWith("REFMAP_")) return refmapsCodec as CollectionCodec<unknown, unknown>;
  throw new Error(`not a lattice key: ${key}`);
}

function storedValue(key: string, revision: number, raw: Uint8Array | null): StoredValue {
  if (raw === null) return { revision, text: null, bytes: null };
  const codec = codecOf(key);
  const value = codec.decode(raw, key);
  return { revision, text: JSON.stringify(value), bytes: codec.encode(value) };
}

/**
 * Reads the last message of every key in `keys` from the KV stream through the stream leader
 * (`STREAM.MSG.GET`, never a possibly lagging direct get from a follower).
 */
export async function readJetStreamState(
  jsm: JetStreamManager,
  bucket: string,
  keys: readonly string[],
): Promise<StoredState> {
  const out = new Map<string, StoredValue>();
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      const message = await jsm.streams.getMessage(`KV_${bucket}`, { last_by_subj: `$KV.${bucket}.${key}` });
      if (message === null) continue;
      const op = message.header?.get("KV-Operation");
      const deleted = op === "DEL" || op === "PURGE";
      out.set(key, storedValue(key, message.seq, deleted ? null : message.data));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return out;
}

/** A state from raw entries (value bytes as stored, `null` = tombstone): for tests of the checks themselves. */
export function storedStateOf(
  entries: Iterable<{ readonly key: string; readonly revision: number; readonly value: Uint8Array | null }>,
): StoredState {
  const out = new Map<string, StoredValue>();
  for (const entry of entries) out.set(entry.key, storedValue(entry.key, entry.revision, entry.value));
  return out;
}

/** One stored message: its key and value (`text` null = delete marker). */
export interface StoredMessage {
  readonly key: string;
  readonly text: string | null;
}

/** What the stream stores at one sequence (revision) now, or `undefined` when nothing is there. */
export async function readJetStreamRevision(
  jsm: JetStreamManager,
  bucket: string,
  revision: number,
): Promise<StoredMessage | undefined> {
  const message = await jsm.streams.getMessage(`KV_${bucket}`, { seq: revision });
  if (message === null) return undefined;
  const key = message.subject.slice(`$KV.${bucket}.`.length);
  const op = message.header?.get("KV-Operation");
  const deleted = op === "DEL" || op === "PURGE";
  return { key, text: storedValue(key, message.seq, deleted ? null : message.data).text };
}

/** Reads every record of a lattice's entries hash in Redis. */
export async function readRedisState(redis: Redis, prefix: string): Promise<StoredState> {
  const flat = await redis.hgetallBuffer(redisKeys(prefix).entries);
  const out = new Map<string, StoredValue>();
  for (const [key, raw] of Object.entries(flat)) {
    const record = decodeEntryRecord(raw);
    out.set(key, storedValue(key, record.revision, record.value));
  }
  return out;
}

/** Reads every row of a lattice's entries table in PostgreSQL (tombstones included). */
export async function readPostgresState(raw: RawPostgresLattice): Promise<StoredState> {
  return storedStateOf((await raw.readAll()).values());
}

/** The rule-2 digest of the live entries of `state`, computed the way a replica computes it. */
export function digestOf(state: StoredState): string {
  const digest = new SetDigest();
  for (const [key, stored] of state) {
    if (stored.bytes !== null) digest.toggle(entryHash(key, stored.revision, stored.bytes));
  }
  return digest.hex();
}

/** Number of live (non-deleted) entries in `state`. */
export function liveCount(state: StoredState): number {
  let n = 0;
  for (const stored of state.values()) if (stored.text !== null) n++;
  return n;
}

/** What one replica holds under a storage key (live entries only), read through the public API. */
export function replicaEntry(
  cache: LatticeCache,
  key: string,
): { readonly revision: number; readonly text: string } | undefined {
  const entry = key.startsWith("LINKDEF_")
    ? cache.linkdefs.entryByKey(key)
    : key.startsWith("CLAIMS_")
      ? cache.claims.entryByKey(key)
      : cache.refmaps.entryByKey(key);
  return entry === undefined ? undefined : { revision: entry.revision, text: JSON.stringify(entry.value) };
}
