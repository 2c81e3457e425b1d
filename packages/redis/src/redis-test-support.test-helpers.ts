// Shared test support: unique prefixes, a feed recorder, raw access to a lattice's keys, polling.
// Rules cited here: docs/semantics.md#rule-1.
import { randomBytes } from "node:crypto";
import type { Claims } from "@lattice-cache/core";
import type { BackendEntry, BackendHead, FeedSink } from "@lattice-cache/core/backend";
import { type ChainableCommander, Cluster, Redis } from "ioredis";
import { decodeEntryRecord } from "./entry-record.js";
import { LatticeScripts } from "./lua-scripts.js";
import { REDIS_BACKEND_DEFAULTS } from "./redis-backend-options.js";
import { type RedisKeyLayout, redisKeys } from "./redis-keys.js";

/** A prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  return `${label}-${randomBytes(5).toString("hex")}`;
}

/** Records what a feed delivers. */
export class FeedLog implements FeedSink {
  readonly entries: BackendEntry[] = [];
  readonly heads: BackendHead[] = [];
  readonly gaps: string[] = [];
  readonly connections: Array<{ connected: boolean; detail: string | undefined }> = [];
  entriesBeforeSync: number | undefined;

  entry(entry: BackendEntry): void {
    this.entries.push(entry);
  }

  synced(head: BackendHead): void {
    this.heads.push(head);
    this.entriesBeforeSync ??= this.entries.length;
  }

  gap(reason: string): void {
    this.gaps.push(reason);
  }

  connection(connected: boolean, detail?: string): void {
    this.connections.push({ connected, detail });
  }

  /** Key → latest entry, applying rule 1 like a replica would. */
  materialize(): Map<string, BackendEntry> {
    const out = new Map<string, BackendEntry>();
    for (const e of this.entries) {
      const current = out.get(e.key);
      if (current === undefined || e.revision > current.revision) out.set(e.key, e);
    }
    return out;
  }

  /** The highest revision delivered. */
  get maxRevision(): number {
    return this.entries.reduce((m, e) => Math.max(m, e.revision), 0);
  }
}

/** Polls `check` until it is true (generous deadline; the machine is shared). */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting until ${what}${last ? ` (last error: ${String(last)})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A direct admin connection (bypassing any fault proxy) to read and damage a lattice's raw keys. */
export class RawLattice {
  readonly keys: RedisKeyLayout;
  private scripts: LatticeScripts | undefined;

  constructor(
    readonly admin: Redis | Cluster,
    prefix: string,
  ) {
    this.keys = redisKeys(prefix);
  }

  /** Opens an admin connection to one server URL or to a cluster. */
  static connect(
    target: { url: string } | { clusterUrls: string[] },
    prefix: string,
    auth: { username?: string; password?: string } = {},
  ): RawLattice {
    const admin =
      "url" in target
        ? new Redis(target.url, { ...auth, maxRetriesPerRequest: 3 })
        : new Cluster(
            target.clusterUrls.map((u) => {
              const { hostname, port } = new URL(u);
              return { host: hostname, port: Number(port) };
            }),
            { redisOptions: auth },
          );
    admin.on("error", () => {});
    return new RawLattice(admin, prefix);
  }

  /** The stored record of a storage key, decoded; undefined if never written. */
  async readRaw(
    key: string,
  ): Promise<{ value: Uint8Array | null; revision: number; origin: string } | undefined> {
    const raw = await this.admin.hgetBuffer(this.keys.entries, key);
    return raw === null ? undefined : decodeEntryRecord(raw);
  }

  /** Every stored record (tombstones included). */
  async readAll(): Promise<Map<string, { value: Uint8Array | null; revision: number }>> {
    const flat = await this.admin.hgetallBuffer(this.keys.entries);
    const out = new Map<string, { value: Uint8Array | null; revision: number }>();
    for (const [field, raw] of Object.entries(flat)) out.set(field, decodeEntryRecord(raw));
    return out;
  }

  /** The revision counter. */
  async revision(): Promise<number> {
    return Number((await this.admin.get(this.keys.revision)) ?? 0);
  }

  /** What a restart without persistence does to one lattice: every key gone. */
  async loseHistory(): Promise<void> {
    await this.admin.del(...this.allKeys());
  }

  /**
   * Stores `value` as a foreign writer would (an old host, an operator's tool): through the lattice's own
   * write script, so the revision counter and the change log stay consistent, but with no origin, no
   * condition and no validation. Returns the revision. Bypasses any fault proxy.
   */
  async storeRaw(key: string, value: Uint8Array | null): Promise<number> {
    this.scripts ??= new LatticeScripts(this.admin, this.keys, REDIS_BACKEND_DEFAULTS.changeLogLength);
    const outcome = await this.scripts.write({ key, value, origin: "" });
    if (!outcome.written) throw new Error(`an unconditional write of ${key} was refused`);
    return outcome.revision;
  }

  /**
   * A backup of the lattice's keys as an operator's backup of the server holds them (DUMP, in one
   * transaction). The returned function restores it over the current keys (RESTORE … REPLACE, in one
   * transaction): the server goes back in time, under the backup's epoch — the conformance `checkpoint`.
   */
  async checkpoint(): Promise<() => Promise<void>> {
    const keys = this.allKeys();
    const dumps = await exec(keys.reduce((t, key) => t.dumpBuffer(key), this.admin.multi()));
    return async () => {
      await exec(
        keys.reduce((t, key, i) => {
          const dump = dumps[i] as Buffer | null;
          return dump === null ? t.del(key) : t.restore(key, 0, dump, "REPLACE");
        }, this.admin.multi()),
      );
    };
  }

  /** Closes the admin connection. */
  close(): void {
    this.admin.disconnect();
  }

  private allKeys(): string[] {
    const { entries, revision, epoch, changes } = this.keys;
    return [entries, revision, epoch, changes];
  }
}

/** Runs a transaction; its replies, or the first error. */
async function exec(transaction: ChainableCommander): Promise<unknown[]> {
  const replies = (await transaction.exec()) ?? [];
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** The bytes of a JSON value, as core would encode it. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A valid claims value for `sub` (a realistic wasmCloud shape). */
export function claimsValue(sub: string, name = "echo"): Claims {
  return {
    call_alias: "",
    iss: "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW",
    name,
    caps: "",
    rev: "0",
    tags: "",
    version: "0.1.0",
    sub,
  };
}
