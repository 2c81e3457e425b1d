// The hand-rolled peer of the equal-work baselines: what a user would write with the raw nats.js client to
// get what one of our hosts has — a local view of the bucket kept by a `kv.watch()`, every entry parsed.
import { type LinkDefinition, linkdefKey } from "@lattice-cache/core";
import type { KV, KvEntry } from "@nats-io/kv";

/** A raw `kv.watch()` parsing every entry into a Map by key (deletes remove the key), until stopped. */
export interface RawView {
  readonly map: Map<string, unknown>;
  /** Resolves `key` the next time the watch applies a change to it. */
  next(key: string): Promise<void>;
  stop(): void;
}

/** Applies one watched entry to `map` as a hand-rolled view would. */
export function applyEntry(map: Map<string, unknown>, entry: KvEntry): void {
  if (entry.operation === "PUT") map.set(entry.key, entry.json());
  else map.delete(entry.key);
}

/**
 * Opens a raw view of `kv`: replays what is there, then follows updates. Resolves once the replay is done
 * (an empty bucket: at once).
 */
export async function openRawView(kv: KV): Promise<RawView> {
  const map = new Map<string, unknown>();
  const empty = (await kv.status()).values === 0;
  const watch = await kv.watch();
  let waiting: { key: string; resolve: () => void } | undefined;
  let replayed: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    replayed = resolve;
  });
  void (async () => {
    for await (const entry of watch) {
      applyEntry(map, entry);
      if (entry.delta === 0) replayed();
      if (waiting && entry.key === waiting.key) {
        const w = waiting;
        waiting = undefined;
        w.resolve();
      }
    }
  })();
  // An empty bucket has nothing to replay (no entry with delta 0 comes).
  if (empty) replayed();
  await ready;
  return {
    map,
    next: (key) =>
      new Promise<void>((resolve) => {
        waiting = { key, resolve };
      }),
    stop: () => watch.stop(),
  };
}

/** A raw put of a link definition as a wasmCloud host does it: the hashed key, the JSON-encoded value. */
export function rawLinkdefPut(kv: KV, v: LinkDefinition): Promise<number> {
  return kv.put(linkdefKey(v.actor_id, v.contract_id, v.link_name), JSON.stringify(v));
}
