// One-shot import of a generation-2 `LATTICECACHE_{prefix}` stream into the durable cache, as the OTP host's
// start-up migration did: last message per subject, ids recomputed, `deleted: true` skipped, 200 ms of silence
// ends the read. The source is kept unless asked to delete it.
import type { LatticeCache } from "@lattice-cache/core";
import {
  BackendUnavailableError,
  ConfigurationError,
  errorText,
  type Logger,
  PermissionDeniedError,
  silentLogger,
} from "@lattice-cache/core/backend";
import {
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { PermissionViolationError } from "@nats-io/nats-core";
import {
  generation2StreamName,
  generation2Subjects,
  parseGeneration2Message,
} from "./generation2-message.js";
import { openLegacyConnection } from "./legacy-connection.js";
import { type LegacyConnectionOptions, parseLegacyConnection } from "./legacy-options.js";
import { legacySubjects } from "./legacy-subjects.js";
import type { LegacyRecord } from "./legacy-wire-codec.js";
import { checkPolicy } from "./migrate-from-legacy.js";
import { appliedResult, applyPlan, dryRunResult, notify, planMigration } from "./migration-plan.js";
import type {
  AppliedMigrationResult,
  DryRunMigrationResult,
  MigrationPolicy,
  MigrationProgressListener,
  MigrationResult,
  MigrationSource,
} from "./migration-result.js";

/** Default silence that ends reading the stream, as the OTP host used. */
export const DEFAULT_STREAM_IDLE_MS = 200;

/** How long to wait for the first message of a stream known to be non-empty (consumer creation is slow on a busy server). */
const FIRST_MESSAGE_TIMEOUT_MS = 10_000;

/** Options of `migrateFromStream`; the lattice prefix (`prefix`) names the stream: `LATTICECACHE_{prefix}`. */
export interface MigrateFromStreamOptions extends LegacyConnectionOptions {
  /** The durable cache to fill (opened; this function waits for `ready()` and does not close it). */
  readonly durable: LatticeCache;
  /** JetStream domain of the old stream. Default: none. */
  readonly domain?: string;
  /** `create-only` (default) never overwrites a durable value; `legacy-wins` overwrites when different. */
  readonly policy?: MigrationPolicy;
  /** Delete the old stream after a complete run without failures (never in a dry run). Default false. */
  readonly deleteSource?: boolean;
  /** Compare and report only; write nothing. Default false. */
  readonly dryRun?: boolean;
  /** Silence that ends reading. Default 200 ms. */
  readonly idleMs?: number;
  /** Progress callback. Default: none. */
  readonly onProgress?: MigrationProgressListener;
  /** Structured logger. Default: silent. */
  readonly logger?: Logger;
}

type StreamSource = Extract<MigrationSource, { kind: "stream" }>;

/**
 * Imports a generation-2 `LATTICECACHE_{prefix}` stream: reads the last message of every subject with an
 * ephemeral ordered consumer (`deliver_policy: last_per_subject`), recomputes link-definition ids, skips
 * `deleted: true`, stops when the consumer has nothing pending or after `idleMs` of silence, and writes
 * under `policy`. Idempotent: a second run changes nothing. A missing stream is not an error
 * (`source.found === false`).
 */
export function migrateFromStream(
  options: MigrateFromStreamOptions & { dryRun: true },
): Promise<DryRunMigrationResult>;
export function migrateFromStream(
  options: MigrateFromStreamOptions & { dryRun?: false },
): Promise<AppliedMigrationResult>;
export function migrateFromStream(options: MigrateFromStreamOptions): Promise<MigrationResult>;
export async function migrateFromStream(options: MigrateFromStreamOptions): Promise<MigrationResult> {
  const started = Date.now();
  const policy = checkPolicy(options.policy);
  const legacy = parseLegacyConnection(options);
  const prefix = legacySubjects(legacy.prefix).prefix;
  const logger = options.logger ?? silentLogger;
  const stream = generation2StreamName(prefix);
  await options.durable.ready();
  const connection = await openLegacyConnection(legacy, {
    label: "jetstream",
    name: "lattice-cache migrate --from stream",
    noEcho: false,
    logger,
  });
  try {
    const jsm = await openManager(connection.nc, options.domain);
    const read = await readStream(jsm, connection.nc, prefix, stream, options);
    const records = [...read.latest.values()].flatMap((m) => (m.record ? [m.record] : []));
    const source: StreamSource = {
      kind: "stream",
      stream,
      found: read.found,
      messages: read.messages,
      records: records.length,
      deletedSkipped: read.deletedSkipped,
      invalid: read.invalid,
      sourceDeleted: false,
    };
    if (read.invalid > 0)
      logger.warn({ stream, invalid: read.invalid }, "skipped invalid generation-2 messages");
    const plan = planMigration(options.durable, records, policy);
    if (options.dryRun) {
      const result = dryRunResult(plan, source, started);
      notify(options.onProgress, { phase: "done", durationMs: result.durationMs });
      return result;
    }
    const applied = await applyPlan(options.durable, plan, policy, options.onProgress);
    let sourceDeleted = false;
    if (options.deleteSource && read.found) {
      if (applied.failures.length > 0) {
        logger.warn(
          { stream, failed: applied.failures.length },
          "keeping the old stream: some writes failed",
        );
      } else {
        notify(options.onProgress, { phase: "deleting-source", stream });
        sourceDeleted = await jsm.streams.delete(stream);
      }
    }
    const result = appliedResult(applied, { ...source, sourceDeleted }, started);
    notify(options.onProgress, { phase: "done", durationMs: result.durationMs });
    return result;
  } finally {
    await connection.close();
  }
}

async function openManager(
  nc: Parameters<typeof jetstreamManager>[0],
  domain: string | undefined,
): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc, domain === undefined ? {} : { domain });
  } catch (error) {
    if (error instanceof PermissionViolationError) {
      throw new PermissionDeniedError(`not allowed to use the JetStream API: ${errorText(error)}`, {
        cause: error,
      });
    }
    if (error instanceof Error && /not enabled/i.test(error.message)) {
      throw new ConfigurationError(
        `JetStream is not enabled${domain ? ` in domain ${domain}` : ""}: there is no generation-2 stream to migrate`,
        { field: "domain", cause: error },
      );
    }
    throw new BackendUnavailableError("jetstream", errorText(error), { cause: error });
  }
}

interface LatestMessage {
  readonly seq: number;
  readonly record: LegacyRecord | undefined;
}

interface StreamRead {
  readonly found: boolean;
  readonly messages: number;
  readonly invalid: number;
  readonly deletedSkipped: number;
  /** Per storage key, the newest message (by stream sequence): a record, or `undefined` for a deletion. */
  readonly latest: Map<string, LatestMessage>;
}

async function readStream(
  jsm: JetStreamManager,
  nc: Parameters<typeof jetstream>[0],
  prefix: string,
  stream: string,
  options: MigrateFromStreamOptions,
): Promise<StreamRead> {
  const latest = new Map<string, LatestMessage>();
  let messages = 0;
  let invalid = 0;
  let deletedSkipped = 0;
  let storedMessages: number;
  try {
    storedMessages = (await jsm.streams.info(stream)).state.messages;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      return { found: false, messages, invalid, deletedSkipped, latest };
    }
    throw new BackendUnavailableError("jetstream", `cannot read stream ${stream}: ${errorText(error)}`, {
      cause: error,
    });
  }
  if (storedMessages === 0) return { found: true, messages, invalid, deletedSkipped, latest };
  const js = jetstream(nc, options.domain === undefined ? {} : { domain: options.domain });
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.LastPerSubject,
    // One subject as a string: the array form needs nats-server 2.10.
    filter_subjects: generation2Subjects(prefix),
  });
  const iterator: ConsumerMessages = await consumer.consume();
  const idleMs = options.idleMs ?? DEFAULT_STREAM_IDLE_MS;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => iterator.stop(), ms);
  };
  arm(FIRST_MESSAGE_TIMEOUT_MS);
  try {
    for await (const m of iterator) {
      messages += 1;
      const parsed = parseGeneration2Message(prefix, m.subject, m.data);
      if (parsed.kind === "invalid") invalid += 1;
      else if (parsed.kind === "deleted") {
        deletedSkipped += 1;
        if (parsed.key !== undefined) keepNewest(latest, parsed.key, { seq: m.seq, record: undefined });
      } else keepNewest(latest, parsed.record.key, { seq: m.seq, record: parsed.record });
      notify(options.onProgress, { phase: "reading", messages, pending: m.info.pending });
      if (m.info.pending === 0) break;
      arm(idleMs);
    }
  } finally {
    clearTimeout(timer);
    iterator.stop();
  }
  return { found: true, messages, invalid, deletedSkipped, latest };
}

/**
 * Several subjects can name one key (an `ocimap` and a `refmap` of the same URL, link definitions stored
 * under older id schemes): the newest message decides, and a newest `deleted: true` means gone.
 */
function keepNewest(latest: Map<string, LatestMessage>, key: string, message: LatestMessage): void {
  const current = latest.get(key);
  if (!current || message.seq > current.seq) latest.set(key, message);
}
