// Finds or creates the bucket's stream: idempotent under races between hosts, accepting a compatible
// pre-provisioned bucket (and saying what differs), never recreating one that exists.
import {
  ConfigurationError,
  errorText,
  LatticeNotFoundError,
  type Logger,
  PermissionDeniedError,
} from "@lattice-cache/core/backend";
import type { JetStreamManager, StreamConfig, StreamInfo } from "@nats-io/jetstream";
import { type BucketLayout, bucketName } from "./bucket-layout.js";
import { isPermissionError, isStreamNotFound, JS_CODES, jetStreamCode } from "./nats-errors.js";
import type { ProvisionMode, ResolvedBucketSettings } from "./options.js";

const NANOS_PER_MS = 1_000_000;
/** The duplicate window of buckets we create: a retried write within it is deduplicated by the server. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/**
 * The stream configuration of a bucket this backend creates — the same shape `nats kv add` and the
 * wasmCloud hosts produce on 2.9, so every KV client can bind to it.
 */
export function desiredStreamConfig(layout: BucketLayout, settings: ResolvedBucketSettings): StreamConfig {
  return {
    name: layout.stream,
    subjects: [layout.filterSubject],
    retention: "limits",
    storage: settings.storage,
    num_replicas: settings.replicas,
    max_msgs_per_subject: settings.history,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msg_size: settings.maxValueSize,
    max_consumers: -1,
    discard: "new",
    duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    allow_rollup_hdrs: true,
    deny_delete: true,
    deny_purge: false,
    allow_direct: true,
    mirror_direct: false,
  } as StreamConfig;
}

/** One setting where an existing bucket differs from what this backend would create. */
export interface BucketDifference {
  /** The setting, in `nats kv` terms: `replicas`, `storage`, `history`, `maxValueSize`, … */
  readonly setting: string;
  /** What the bucket has. */
  readonly actual: string | number | boolean;
  /** What this backend would create. */
  readonly recommended: string | number | boolean;
  /** What the difference means in practice. */
  readonly effect: string;
}

/** The verdict on an existing bucket. */
export interface BucketAssessment {
  /** Problems that make the bucket unusable (the backend refuses it). */
  readonly problems: readonly string[];
  /** Differences that are tolerated, with their effect. */
  readonly differences: readonly BucketDifference[];
}

/** Compares an existing stream with what this backend needs and would create. */
export function assessBucket(
  layout: BucketLayout,
  config: StreamConfig,
  settings: ResolvedBucketSettings,
): BucketAssessment {
  const problems: string[] = [];
  const differences: BucketDifference[] = [];
  if (config.mirror) {
    problems.push(
      `${layout.stream} is a mirror of ${config.mirror.name}; writes must go to the origin bucket`,
    );
  } else if (!(config.subjects ?? []).includes(layout.filterSubject)) {
    problems.push(
      `${layout.stream} does not capture ${layout.filterSubject} (subjects: ${(config.subjects ?? []).join(", ") || "none"})`,
    );
  }
  if (config.retention && config.retention !== "limits") {
    problems.push(`${layout.stream} has retention "${config.retention}"; a KV bucket needs "limits"`);
  }
  if (config.sealed) problems.push(`${layout.stream} is sealed: nothing can be written to it`);

  const differ = (
    setting: string,
    actual: string | number | boolean,
    recommended: string | number | boolean,
    effect: string,
  ) => {
    if (actual !== recommended) differences.push({ setting, actual, recommended, effect });
  };
  differ(
    "replicas",
    config.num_replicas ?? 1,
    settings.replicas,
    "replica count decides how many server losses the bucket survives",
  );
  differ(
    "storage",
    config.storage ?? "file",
    settings.storage,
    "memory storage loses every entry when its servers restart",
  );
  differ(
    "history",
    config.max_msgs_per_subject ?? -1,
    settings.history,
    "more history keeps old revisions (more storage); the feed still applies only the latest",
  );
  differ(
    "maxValueSize",
    config.max_msg_size ?? -1,
    settings.maxValueSize,
    "larger values than the bucket's limit are refused with VALUE_TOO_LARGE",
  );
  differ(
    "allowDirect",
    config.allow_direct ?? false,
    true,
    "without direct gets, conflict checks read through the stream leader (STREAM.MSG.GET)",
  );
  const windowMs = Math.round((config.duplicate_window ?? 0) / NANOS_PER_MS);
  if (windowMs < 30_000) {
    differences.push({
      setting: "duplicateWindowMs",
      actual: windowMs,
      recommended: DUPLICATE_WINDOW_MS,
      effect:
        "retried writes cannot be deduplicated by the server; the backend verifies them by reading back",
    });
  }
  const maxAgeMs = Math.round((config.max_age ?? 0) / NANOS_PER_MS);
  if (maxAgeMs > 0) {
    differences.push({
      setting: "ttlMs",
      actual: maxAgeMs,
      recommended: 0,
      effect: "entries expire without a delete marker; replicas keep them until they resync",
    });
  }
  return { problems, differences };
}

/** Where provisioning runs. */
export interface ProvisionContext {
  readonly jsm: JetStreamManager;
  readonly layout: BucketLayout;
  readonly settings: ResolvedBucketSettings;
  readonly mode: ProvisionMode;
  readonly logger: Logger;
}

/**
 * Returns the bucket's stream info, creating the stream first when it is missing and `mode` is `create`.
 * Every "already exists" answer (a host creating it at the same moment, an existing stream with other
 * settings) ends in reading the existing stream and judging it, never in an error or a recreation.
 * Transient errors (timeouts, no responders) are thrown as they are, for the caller to retry.
 */
export async function ensureBucket(ctx: ProvisionContext): Promise<StreamInfo> {
  const existing = await findStream(ctx);
  if (existing) return accept(ctx, existing);
  if (ctx.mode === "bind") {
    throw new LatticeNotFoundError(
      ctx.layout.bucket.slice(bucketName("").length),
      `bucket ${ctx.layout.bucket} does not exist and provision is "bind": create it once with ` +
        `\`nats kv add ${ctx.layout.bucket} --history ${ctx.settings.history} --replicas ${ctx.settings.replicas} ` +
        `--storage ${ctx.settings.storage}\` (or run one host with provision: "create")`,
    );
  }
  try {
    const created = await ctx.jsm.streams.add(desiredStreamConfig(ctx.layout, ctx.settings));
    ctx.logger.info(
      {
        bucket: ctx.layout.bucket,
        replicas: ctx.settings.replicas,
        storage: ctx.settings.storage,
        history: ctx.settings.history,
      },
      "created the lattice bucket",
    );
    return created;
  } catch (error) {
    // Whatever the answer (400 "already in use", 500 from a replicated create racing another host, …),
    // if the stream exists now we use it.
    const raced = await findStream(ctx).catch(() => undefined);
    if (raced) return accept(ctx, raced);
    throw createFailure(ctx, error);
  }
}

async function findStream(ctx: ProvisionContext): Promise<StreamInfo | undefined> {
  try {
    return await ctx.jsm.streams.info(ctx.layout.stream);
  } catch (error) {
    if (isStreamNotFound(error)) return undefined;
    if (isPermissionError(error)) {
      throw new PermissionDeniedError(
        `not allowed to read ${ctx.layout.stream}'s info: grant $JS.API.STREAM.INFO.${ctx.layout.stream} ` +
          `(${errorText(error)})`,
        { cause: error },
      );
    }
    throw error;
  }
}

function accept(ctx: ProvisionContext, info: StreamInfo): StreamInfo {
  const { problems, differences } = assessBucket(ctx.layout, info.config, ctx.settings);
  if (problems.length) {
    throw new ConfigurationError(`bucket ${ctx.layout.bucket} cannot be used: ${problems.join("; ")}`, {
      field: "prefix",
    });
  }
  if (differences.length) {
    ctx.logger.warn(
      {
        bucket: ctx.layout.bucket,
        differences: differences.map(
          (d) => `${d.setting}: ${d.actual} (we would create ${d.recommended}) — ${d.effect}`,
        ),
      },
      "using an existing bucket whose settings differ from what this backend would create",
    );
  }
  return info;
}

function createFailure(ctx: ProvisionContext, error: unknown): Error {
  if (isPermissionError(error)) {
    return new PermissionDeniedError(
      `not allowed to create bucket ${ctx.layout.bucket}: grant $JS.API.STREAM.CREATE.${ctx.layout.stream}, ` +
        `or have an admin create it and use provision: "bind" (${errorText(error)})`,
      { cause: error },
    );
  }
  const code = jetStreamCode(error);
  if (code === JS_CODES.insufficientResources || code === JS_CODES.replicasNotSupported) {
    return new ConfigurationError(
      `cannot create bucket ${ctx.layout.bucket} with ${ctx.settings.replicas} replica(s) and ${ctx.settings.storage} ` +
        `storage: ${errorText(error)}. A single server needs bucket.replicas: 1; R3 needs a 3-node JetStream cluster`,
      { field: "nats.bucket.replicas", cause: error },
    );
  }
  if (code !== undefined) {
    return new ConfigurationError(
      `cannot create bucket ${ctx.layout.bucket}: ${errorText(error)} (code ${code})`,
      {
        field: "nats.bucket",
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
