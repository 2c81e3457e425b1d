// What the old hosts hold, as one merged set: every `.get` reply gathered in a window, merged per key. Where
// drifted hosts disagree, the value most replies carried wins, and the disagreement is reported.
import { COLLECTION_NAMES, type CollectionName } from "@lattice-cache/core";
import type { NatsConnection } from "@nats-io/nats-core";
import { gatherLegacyReplies } from "./legacy-requests.js";
import type { LegacySubjects } from "./legacy-subjects.js";
import { type LegacyRecord, storageBytesOf } from "./legacy-wire-codec.js";
import { notify } from "./migration-plan.js";
import type { MigrationProgressListener, MigrationSource } from "./migration-result.js";

/** Default window for gathering `.get` replies. */
export const DEFAULT_GATHER_WINDOW_MS = 2000;
/** Default number of `.get` requests per collection sent across the window. */
export const DEFAULT_GATHER_REQUESTS = 3;

/** The merged state of the old hosts. */
export interface CollectedLegacyState {
  readonly records: LegacyRecord[];
  readonly source: Extract<MigrationSource, { kind: "legacy" }>;
}

/** Gathers every `.get` reply for `windowMs` (several requests, several queue members) and merges them. */
export async function collectLegacyState(
  nc: NatsConnection,
  subjects: LegacySubjects,
  options: { windowMs: number; requests: number; onProgress?: MigrationProgressListener },
): Promise<CollectedLegacyState> {
  const started = Date.now();
  let total = 0;
  const ticker = setInterval(
    () => notify(options.onProgress, gathering(total, started, options.windowMs)),
    Math.max(100, Math.floor(options.windowMs / 10)),
  );
  let gathered: Awaited<ReturnType<typeof gatherLegacyReplies>>;
  try {
    gathered = await gatherLegacyReplies(nc, subjects, COLLECTION_NAMES, {
      windowMs: options.windowMs,
      requests: options.requests,
      onReply: () => {
        total += 1;
      },
    });
  } finally {
    clearInterval(ticker);
  }
  notify(options.onProgress, gathering(total, started, options.windowMs));
  const records: LegacyRecord[] = [];
  const conflicts: { collection: CollectionName; key: string; variants: number }[] = [];
  const replies = { linkdefs: 0, claims: 0, refmaps: 0 };
  for (const collection of COLLECTION_NAMES) {
    const lists = gathered.replies[collection];
    replies[collection] = lists.length;
    const merged = mergeLists(lists);
    records.push(...merged.records);
    for (const [key, variants] of merged.conflicts) conflicts.push({ collection, key, variants });
  }
  return {
    records,
    source: {
      kind: "legacy",
      replies,
      records: records.length,
      invalid: gathered.invalid,
      bridgeReplies: gathered.bridgeReplies,
      conflicts,
    },
  };
}

function gathering(replies: number, started: number, windowMs: number) {
  return {
    phase: "gathering",
    replies,
    elapsedMs: Math.min(windowMs, Date.now() - started),
    windowMs,
  } as const;
}

/**
 * Merges the replies of one collection: per key, the value carried by most replies; on a tie, the one
 * heard last (a later answer is at least as fresh).
 */
export function mergeLists(lists: readonly LegacyRecord[][]): {
  records: LegacyRecord[];
  conflicts: Map<string, number>;
} {
  const byKey = new Map<string, Map<string, { record: LegacyRecord; votes: number; lastSeen: number }>>();
  let seen = 0;
  for (const list of lists) {
    // One reply votes once per key, even if it lists a key twice.
    const counted = new Set<string>();
    for (const record of list) {
      seen += 1;
      const bytes = Buffer.from(storageBytesOf(record)).toString("base64");
      let variants = byKey.get(record.key);
      if (!variants) {
        variants = new Map();
        byKey.set(record.key, variants);
      }
      const vote = `${record.key}\u0000${bytes}`;
      const variant = variants.get(bytes) ?? { record, votes: 0, lastSeen: 0 };
      if (!counted.has(vote)) variant.votes += 1;
      counted.add(vote);
      variant.lastSeen = seen;
      variants.set(bytes, variant);
    }
  }
  const records: LegacyRecord[] = [];
  const conflicts = new Map<string, number>();
  for (const [key, variants] of byKey) {
    let best: { record: LegacyRecord; votes: number; lastSeen: number } | undefined;
    for (const v of variants.values()) {
      if (!best || v.votes > best.votes || (v.votes === best.votes && v.lastSeen > best.lastSeen)) best = v;
    }
    if (best) records.push(best.record);
    if (variants.size > 1) conflicts.set(key, variants.size);
  }
  return { records, conflicts };
}
