// The migration bridge (rule 12): legacy broadcasts become ordered writes on the durable cache under a policy,
// durable changes made by others are broadcast to old hosts, and old hosts' `.get`s are answered from the
// durable view. Bridge broadcasts carry a header so no bridge ever imports them: two bridges make no loop.
// Rules cited here: docs/semantics.md#rule-7, #rule-12.
import { randomBytes } from "node:crypto";
import type { CollectionName, LatticeCache, LatticeChange } from "@lattice-cache/core";
import {
  type BackoffPolicy,
  backoffDelay,
  bridgeExpectedRevision,
  ConfigurationError,
  ConflictError,
  errorText,
  LatticeCacheError,
  LEGACY_POLICIES,
  type LegacyPolicy,
  type Logger,
  silentLogger,
} from "@lattice-cache/core/backend";
import { parseOptions } from "@lattice-cache/plugin";
import type { Msg, Subscription } from "@nats-io/nats-core";
import { InvalidMessageLog } from "./invalid-message-log.js";
import { type LegacyBroadcast, publishLegacy } from "./legacy-broadcast.js";
import { subscribeToLegacyChanges } from "./legacy-change-subscriptions.js";
import { type LegacyConnection, openLegacyConnection } from "./legacy-connection.js";
import { answerLegacyGets, type GetResponder } from "./legacy-get-responder.js";
import { BRIDGE_HEADER, headerWith } from "./legacy-headers.js";
import {
  LEGACY_CONNECTION_OPTIONS,
  type LegacyConnectionOptions,
  type LegacyConnectionSettings,
  legacyConfigSection,
} from "./legacy-options.js";
import { type Fingerprint, LegacySideLedger, TOMBSTONE } from "./legacy-side-ledger.js";
import {
  collectLegacyState,
  DEFAULT_GATHER_REQUESTS,
  DEFAULT_GATHER_WINDOW_MS,
} from "./legacy-state-collector.js";
import { type LegacySubjects, legacySubjects } from "./legacy-subjects.js";
import { decodeLegacyMessage, type LegacyRecord, storageBytesOf } from "./legacy-wire-codec.js";
import {
  appliedResult,
  applyPlan,
  durableRecordOf,
  planMigration,
  putRecord,
  sameBytes,
} from "./migration-plan.js";
import type { AppliedMigrationResult } from "./migration-result.js";

/** Options of `LegacyBridge`. */
export interface LegacyBridgeOptions {
  /**
   * Where the old hosts are: NATS servers, credentials and TLS files (or a connection) and the lattice prefix
   * (default `"default"`) — the connection options of `LegacyBackend`.
   */
  readonly legacy: LegacyConnectionOptions;
  /** The durable cache (opened, on an ordered backend such as jetstream). The bridge never closes it. */
  readonly durable: LatticeCache;
  /** `legacy-wins` (default): a legacy put/del is written unconditionally. `durable-wins`: a legacy put only creates missing keys. */
  readonly policy?: LegacyPolicy;
  /** This bridge's id, sent in the `Lattice-Bridge` header. Default: `bridge-` + random hex. */
  readonly bridgeId?: string;
  /** Structured logger. Default: silent. */
  readonly logger?: Logger;
  /** Join the `.get` queue groups and answer old hosts from the durable view. Default true. */
  readonly answerGets?: boolean;
  /**
   * At start, gather what the old hosts hold (like `migrateFromLegacy`) and create what the durable cache
   * lacks (create-only, whatever the policy: a snapshot must not overwrite newer durable edits). Default true.
   */
  readonly importOnStart?: boolean;
  /** Window for that start-up gathering. Default 2000 ms. */
  readonly importWindowMs?: number;
  /** Attempts per import while the durable backend is unavailable, with backoff. Default 5. */
  readonly importAttempts?: number;
  /**
   * How long a durable change waits before it is broadcast to old hosts (changes to one key in that time
   * are coalesced, and another bridge's import of a legacy value is recognized). Default 250 ms.
   */
  readonly broadcastDelayMs?: number;
}

/** Counters of a bridge (they only grow), for metrics. */
export interface LegacyBridgeCounters {
  /** Legacy puts/dels written to the durable cache (start-up import included). */
  readonly imported: number;
  /** Legacy puts/dels the policy refused (`durable-wins`: the key exists or was created meanwhile). */
  readonly skippedByPolicy: number;
  /** Legacy puts/dels that would not change the durable value. */
  readonly skippedUnchanged: number;
  /** Legacy puts/dels not written because a later message for the same key had already arrived. */
  readonly superseded: number;
  /** Puts/dels broadcast to old hosts (per-provider copies not counted). */
  readonly broadcast: number;
  /** Legacy messages that were undecodable or invalid, skipped. */
  readonly invalid: number;
  /** Old hosts' `.get`s answered from the durable view. */
  readonly answeredGets: number;
  /** `.get`s ignored because their reply subject is not an inbox (nobody's reply: a confused-deputy attempt). */
  readonly refusedGets: number;
  /** Imports that failed even after retries (logged; the old hosts still hold the value). */
  readonly failed: number;
  /** Broadcasts of other bridges, heard and not imported. */
  readonly ignoredBridged: number;
  /** Durable deletes generation 1 cannot express (claims, reference maps): old hosts keep those values. */
  readonly unbroadcastable: number;
}

/** What `status()` reports. */
export interface LegacyBridgeStatus {
  readonly state: "stopped" | "starting" | "running" | "stopping";
  readonly bridgeId: string;
  readonly policy: LegacyPolicy;
  readonly prefix: string;
  /** Connected to the legacy NATS. */
  readonly connected: boolean;
  /** Legacy messages waiting to be written to the durable cache. */
  readonly pendingImports: number;
  /** Durable changes waiting (at most `broadcastDelayMs`) to be broadcast to old hosts. */
  readonly pendingBroadcasts: number;
  readonly counters: LegacyBridgeCounters;
  /** What the start-up import did, once it ran. */
  readonly startupImport: AppliedMigrationResult | undefined;
  /** The last error seen, if any. */
  readonly lastError: string | undefined;
}

type MutableCounters = { -readonly [K in keyof LegacyBridgeCounters]: LegacyBridgeCounters[K] };

/** Every bridge counter at zero (a new bridge's counters; a stand-in before a bridge exists). */
export function emptyBridgeCounters(): MutableCounters {
  return {
    imported: 0,
    skippedByPolicy: 0,
    skippedUnchanged: 0,
    superseded: 0,
    broadcast: 0,
    invalid: 0,
    answeredGets: 0,
    refusedGets: 0,
    failed: 0,
    ignoredBridged: 0,
    unbroadcastable: 0,
  };
}

/** Default delay before a durable change is broadcast to old hosts. */
export const DEFAULT_BROADCAST_DELAY_MS = 250;

/** Pauses between attempts of a durable write while the backend is unavailable: 250 ms doubling to 4 s. */
const IMPORT_RETRY: BackoffPolicy = { baseMs: 250, maxMs: 4_000 };

/** A durable change waiting to be broadcast: its fingerprint, whether it was our import, and its shape. */
interface PendingBroadcast {
  change: { value: Fingerprint; own: boolean; record: LegacyRecord | undefined };
  readonly timer: NodeJS.Timeout;
}

/**
 * Runs generation 1 and a durable backend side by side during a migration:
 * - each legacy put/del becomes an ordered write on the durable cache under `policy` (rule 12) —
 *   one at a time, in arrival order;
 * - each durable change made by someone else is broadcast on the legacy subjects (and the per-provider
 *   link-definition subjects), so old hosts hear what new hosts write;
 * - old hosts' `.get`s are answered from the durable view, so a restarting old host gets the full state.
 *
 * Loops cannot form: bridge broadcasts carry `Lattice-Bridge: <bridgeId>` (old hosts ignore headers) and
 * every bridge ignores such messages; writes that would not change the durable value are skipped.
 */
export class LegacyBridge {
  /** This bridge's id. */
  readonly bridgeId: string;
  /** The generation-1 subjects in use. */
  readonly subjects: LegacySubjects;
  /** The policy for legacy puts/dels. */
  readonly policy: LegacyPolicy;

  private readonly options: LegacyBridgeOptions;
  private readonly legacy: LegacyConnectionSettings;
  private readonly durable: LatticeCache;
  private readonly logger: Logger;
  private readonly invalidLog: InvalidMessageLog;
  private readonly counts: MutableCounters = emptyBridgeCounters();
  /** What the old hosts hold, what is queued, what is ours: decides broadcasts and superseded imports. */
  private readonly ledger = new LegacySideLedger();
  /** Durable changes waiting to be broadcast (see `sendPending`), per key. */
  private readonly pendingBroadcasts = new Map<string, PendingBroadcast>();
  /** Keys changed by live legacy traffic since start: the start-up snapshot must not touch them. */
  private readonly touchedLive = new Set<string>();
  private state: LegacyBridgeStatus["state"] = "stopped";
  private connection: LegacyConnection | undefined;
  private subscriptions: Subscription[] = [];
  private responder: GetResponder | undefined;
  private stopListening: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private startupImport: AppliedMigrationResult | undefined;
  private lastError: string | undefined;

  constructor(options: LegacyBridgeOptions) {
    const policy = options.policy ?? "legacy-wins";
    if (!LEGACY_POLICIES.includes(policy)) {
      throw new ConfigurationError(`unknown bridge policy ${JSON.stringify(policy)}`, {
        field: "policy",
        allowed: LEGACY_POLICIES,
      });
    }
    const capabilities = options.durable.backend.capabilities;
    if (!capabilities.ordered) {
      throw new ConfigurationError(
        `the durable side of a bridge must be an ordered backend (got ${options.durable.backend.name})`,
        { field: "durable" },
      );
    }
    if (policy === "durable-wins" && !capabilities.compareAndSwap) {
      throw new ConfigurationError(
        `policy durable-wins needs compare-and-swap, which the ${options.durable.backend.name} backend lacks`,
        { field: "policy" },
      );
    }
    this.options = options;
    this.legacy = parseOptions(LEGACY_CONNECTION_OPTIONS, options.legacy, legacyConfigSection);
    this.policy = policy;
    this.durable = options.durable;
    this.bridgeId = options.bridgeId ?? `bridge-${randomBytes(4).toString("hex")}`;
    this.subjects = legacySubjects(this.legacy.prefix);
    this.logger = options.logger ?? silentLogger;
    this.invalidLog = new InvalidMessageLog(this.logger, "legacy message");
  }

  /**
   * Connects, waits for the durable cache's initial sync, starts importing and broadcasting, runs the
   * start-up import (unless disabled), then joins the `.get` queue groups. Resolves when running.
   */
  async start(): Promise<void> {
    if (this.state !== "stopped") throw new ConfigurationError(`the bridge is already ${this.state}`);
    this.state = "starting";
    try {
      await this.durable.ready();
      const connection = await openLegacyConnection(this.legacy, {
        label: "legacy",
        name: `lattice-cache bridge ${this.bridgeId}`,
        noEcho: true,
        logger: this.logger,
      });
      this.connection = connection;
      this.stopListening = this.durable.onChange((change) => this.onDurableChange(change));
      this.subscriptions.push(
        ...subscribeToLegacyChanges(connection.nc, this.subjects, (collection, operation, msg) =>
          this.onLegacyMessage(collection, operation, msg),
        ),
      );
      await connection.nc.flush();
      if (this.options.importOnStart ?? true) await this.importSnapshot(connection);
      if (this.options.answerGets ?? true) {
        this.responder = answerLegacyGets(connection.nc, this.subjects, {
          recordsOf: (collection) => this.durableRecords(collection),
          headers: () => headerWith(BRIDGE_HEADER, this.bridgeId),
          onAnswered: () => {
            this.counts.answeredGets += 1;
          },
          onRefused: () => {
            this.counts.refusedGets += 1;
          },
          logger: this.logger,
        });
      }
      await connection.nc.flush();
      this.state = "running";
      this.logger.info(
        { bridgeId: this.bridgeId, policy: this.policy, prefix: this.subjects.prefix },
        "legacy bridge running",
      );
    } catch (error) {
      this.lastError = errorText(error);
      await this.teardown();
      throw error;
    }
  }

  /** Stops listening, lets queued imports finish, and closes its own connection (never the durable cache). */
  async stop(): Promise<void> {
    if (this.state === "stopped" || this.state === "stopping") return;
    this.state = "stopping";
    await this.teardown();
  }

  /** Counters and state, for `lattice status` and metrics. */
  status(): LegacyBridgeStatus {
    return {
      state: this.state,
      bridgeId: this.bridgeId,
      policy: this.policy,
      prefix: this.subjects.prefix,
      connected: this.connection?.connected ?? false,
      pendingImports: this.pending,
      pendingBroadcasts: this.pendingBroadcasts.size,
      counters: { ...this.counts },
      startupImport: this.startupImport,
      lastError: this.lastError,
    };
  }

  /** Resolves when every legacy message received so far is written (or skipped) and no broadcast is pending. */
  async idle(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      await queue;
      if (queue !== this.queue) continue;
      if (this.pendingBroadcasts.size === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async teardown(): Promise<void> {
    this.responder?.close();
    this.responder = undefined;
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    this.stopListening?.();
    this.stopListening = undefined;
    await this.idle();
    this.flushBroadcasts();
    await this.connection?.close();
    this.connection = undefined;
    this.state = "stopped";
  }

  private onLegacyMessage(collection: CollectionName, operation: "put" | "del", msg: Msg): void {
    const decoded = decodeLegacyMessage(collection, msg.data);
    if (!decoded.ok) {
      this.counts.invalid += 1;
      this.invalidLog.report(msg.subject, decoded.reason);
      return;
    }
    const record = decoded.record;
    const value = operation === "put" ? fingerprint(record) : TOMBSTONE;
    if (msg.headers?.has(BRIDGE_HEADER)) {
      // Another bridge telling old hosts a durable value: never imported (that would loop).
      this.ledger.told(record.key, value);
      this.counts.ignoredBridged += 1;
      return;
    }
    this.ledger.heard(record.key, value);
    this.touchedLive.add(record.key);
    this.enqueue(async () => {
      try {
        if (this.ledger.superseded(record.key, value)) {
          // A later message for this key is queued; writing this one would only be undone (and flap).
          this.counts.superseded += 1;
          return;
        }
        await (operation === "put" ? this.importPut(record) : this.importDelete(record));
      } finally {
        this.ledger.settled(record.key, value);
      }
    });
  }

  /** Rule 12: a legacy put becomes one durable write under the policy. */
  private async importPut(record: LegacyRecord): Promise<void> {
    const current = durableRecordOf(this.durable, record);
    if (current && sameBytes(current, record)) {
      this.counts.skippedUnchanged += 1;
      return;
    }
    if (current && this.policy === "durable-wins") {
      this.counts.skippedByPolicy += 1;
      this.correctOldHosts(current);
      return;
    }
    try {
      await this.durableWrite(record.key, fingerprint(record), () =>
        putRecord(this.durable, record, bridgeExpectedRevision(this.policy)),
      );
      this.counts.imported += 1;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // durable-wins: someone created the key between our read and our write.
      this.counts.skippedByPolicy += 1;
      const now = durableRecordOf(this.durable, record);
      if (now) this.correctOldHosts(now);
    }
  }

  /** A legacy link-definition delete: unconditional under `legacy-wins`, refused under `durable-wins`. */
  private async importDelete(record: LegacyRecord): Promise<void> {
    const current = durableRecordOf(this.durable, record);
    if (!current) {
      this.counts.skippedUnchanged += 1;
      return;
    }
    if (this.policy === "durable-wins") {
      this.counts.skippedByPolicy += 1;
      this.correctOldHosts(current);
      return;
    }
    if (record.collection !== "linkdefs") return;
    const ref = {
      actor_id: record.value.actor_id,
      contract_id: record.value.contract_id,
      link_name: record.value.link_name,
    };
    await this.durableWrite(record.key, TOMBSTONE, () => this.durable.linkdefs.delete(ref));
    this.counts.imported += 1;
  }

  /** durable-wins: old hosts that applied a refused put/del are told the durable value again. */
  private correctOldHosts(current: LegacyRecord): void {
    this.broadcast({ operation: "put", record: current });
  }

  /** A durable write the bridge makes, retried (with backoff) while the backend is unavailable. */
  private async durableWrite(key: string, value: Fingerprint, write: () => Promise<unknown>): Promise<void> {
    const attempts = Math.max(1, this.options.importAttempts ?? 5);
    this.ledger.beginWrite(key, value);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          // Rule 7: the write's change event has fired by the time it resolves.
          await write();
          return;
        } catch (error) {
          const retry =
            LatticeCacheError.hasCode(error, "BACKEND_UNAVAILABLE") &&
            attempt < attempts &&
            this.state !== "stopping";
          if (!retry) throw error;
          await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, IMPORT_RETRY)));
        }
      }
    } finally {
      this.ledger.endWrite(key);
    }
  }

  private onDurableChange(change: LatticeChange): void {
    if (this.state === "stopped" || this.state === "stopping" || !this.connection) return;
    const value = change.operation === "put" ? fingerprint(recordOfChange(change, change.value)) : TOMBSTONE;
    const own = this.ledger.isOwnWrite(change.key, value);
    if (!this.ledger.needsBroadcast(change.key, value, own)) {
      // The durable value is one old hosts hold (or are about to): an older pending broadcast is moot.
      this.cancelBroadcast(change.key);
      return;
    }
    const shape = change.operation === "put" ? change.value : change.previous;
    const pending = this.pendingBroadcasts.get(change.key);
    if (pending) {
      // Coalesced: the timer already runs; only the latest change is sent.
      pending.change = {
        value,
        own,
        record: shape === undefined ? undefined : recordOfChange(change, shape),
      };
      return;
    }
    const entry: PendingBroadcast = {
      change: { value, own, record: shape === undefined ? undefined : recordOfChange(change, shape) },
      timer: setTimeout(
        () => this.sendPending(change.key),
        this.options.broadcastDelayMs ?? DEFAULT_BROADCAST_DELAY_MS,
      ),
    };
    this.pendingBroadcasts.set(change.key, entry);
  }

  /**
   * Sends a delayed broadcast if it is still needed. The delay lets this bridge hear the legacy message
   * behind another bridge's import before deciding: broadcasting a value old hosts sent themselves could
   * overtake a newer one of theirs and leave them on the older value.
   */
  private sendPending(key: string): void {
    const pending = this.pendingBroadcasts.get(key);
    this.pendingBroadcasts.delete(key);
    if (!pending) return;
    const { value, own, record } = pending.change;
    if (!this.ledger.needsBroadcast(key, value, own)) return;
    if (value !== TOMBSTONE && record) {
      this.broadcast({ operation: "put", record });
      return;
    }
    if (record?.collection === "linkdefs") {
      this.broadcast({ operation: "del", record });
      return;
    }
    // Generation 1 has no claims/refmaps delete; old hosts keep the value until they restart.
    this.counts.unbroadcastable += 1;
    this.ledger.told(key, TOMBSTONE);
    this.logger.debug({ key }, "a durable delete cannot be broadcast to old hosts");
  }

  private cancelBroadcast(key: string): void {
    const pending = this.pendingBroadcasts.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingBroadcasts.delete(key);
  }

  /** Sends every pending broadcast now (on stop: a durable change must not be dropped). */
  private flushBroadcasts(): void {
    for (const [key, pending] of [...this.pendingBroadcasts]) {
      clearTimeout(pending.timer);
      this.sendPending(key);
    }
  }

  private broadcast(broadcast: LegacyBroadcast): void {
    const connection = this.connection;
    if (!connection?.connected) {
      this.lastError = "a durable change could not be broadcast: not connected to the legacy NATS";
      this.logger.warn({ key: broadcast.record.key }, this.lastError);
      return;
    }
    publishLegacy(connection.nc, this.subjects, broadcast, headerWith(BRIDGE_HEADER, this.bridgeId));
    this.counts.broadcast += 1;
    const value = broadcast.operation === "put" ? fingerprint(broadcast.record) : TOMBSTONE;
    this.ledger.told(broadcast.record.key, value);
  }

  private durableRecords(collection: CollectionName): LegacyRecord[] {
    const handle =
      collection === "linkdefs"
        ? this.durable.linkdefs
        : collection === "claims"
          ? this.durable.claims
          : this.durable.refmaps;
    return handle.entries().map((e) => ({ collection, key: e.key, value: e.value }) as LegacyRecord);
  }

  /** The start-up import: what old hosts hold, created where the durable cache lacks it. */
  private async importSnapshot(connection: LegacyConnection): Promise<void> {
    const startedAt = Date.now();
    const collected = await collectLegacyState(connection.nc, this.subjects, {
      windowMs: this.options.importWindowMs ?? DEFAULT_GATHER_WINDOW_MS,
      requests: DEFAULT_GATHER_REQUESTS,
    });
    const fresh = collected.records.filter((r) => !this.touchedLive.has(r.key));
    for (const record of fresh) this.ledger.reported(record.key, fingerprint(record));
    const plan = planMigration(this.durable, fresh, "create-only");
    const result = await this.serialized(() => applyPlan(this.durable, plan, "create-only", undefined));
    this.startupImport = appliedResult(result, collected.source, startedAt);
    this.counts.imported += result.counts.created;
    this.counts.failed += result.counts.failed;
    this.logger.info(
      { created: result.counts.created, unchanged: result.counts.unchanged, skipped: result.counts.skipped },
      "start-up import from old hosts done",
    );
  }

  /** Runs `task` on the import queue (one durable write at a time, in arrival order). */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private enqueue(task: () => Promise<void>): void {
    this.pending += 1;
    void this.serialized(task)
      .catch((error: unknown) => {
        this.counts.failed += 1;
        this.lastError = `import failed: ${errorText(error)}`;
        this.logger.warn({ err: error }, "a legacy message could not be written to the durable cache");
      })
      .finally(() => {
        this.pending -= 1;
      });
  }
}

/** A change's value (or, for a delete, its previous value) as a record of its collection. */
function recordOfChange(change: LatticeChange, value: unknown): LegacyRecord {
  return { collection: change.collection, key: change.key, value } as LegacyRecord;
}

/** A value's identity for comparisons: its canonical storage bytes. */
function fingerprint(record: LegacyRecord): string {
  return Buffer.from(storageBytesOf(record)).toString("base64");
}
