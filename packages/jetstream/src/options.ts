// The options of the jetstream backend, their defaults, and their validation (one place, clear messages).

import { hostname } from "node:os";
import { ConfigurationError, type Logger, silentLogger } from "@lattice-cache/core/backend";
import type { NatsAuth, NatsTlsFiles } from "@lattice-cache/plugin/nats";
import type { NatsConnection } from "@nats-io/nats-core";

/** How the backend gets its bucket: create it when missing, or only bind to an existing one. */
export type ProvisionMode = "create" | "bind";

/** Where JetStream keeps the bucket's data. */
export type BucketStorage = "file" | "memory";

/** The bucket settings used when the backend creates `LATTICEDATA_{prefix}`. */
export interface BucketSettings {
  /** Revisions kept per key (`max_msgs_per_subject`). Default 1, as wasmCloud hosts create it. */
  readonly history?: number;
  /** Stream replicas: 1, 3 or 5. Default 1; use 3 in production clusters. */
  readonly replicas?: number;
  /** `file` (survives restarts) or `memory`. Default `file`. */
  readonly storage?: BucketStorage;
  /** Largest message the bucket accepts, in bytes (`max_msg_size`, headers included). Default 1 MiB. */
  readonly maxValueSize?: number;
}

/** Authentication (the plugin contract's `NatsAuth`). */
export type JetStreamAuth = NatsAuth;

/** TLS files (the plugin contract's `NatsTlsFiles`). */
export type JetStreamTlsFiles = NatsTlsFiles;

/** Options of `JetStreamBackend`. */
export interface JetStreamBackendOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. Required unless `connection` is given. */
  readonly servers?: string | readonly string[];
  /** Lattice prefix; the bucket is `LATTICEDATA_{prefix}`. Default `default`. */
  readonly prefix?: string;
  /** This host's id, used in the connection name `lattice-cache:{hostId}`. Default `{hostname}-{pid}`. */
  readonly hostId?: string;
  /** JetStream domain of the bucket (leaf nodes, superclusters): API prefix `$JS.{domain}.API`. Default none. */
  readonly jsDomain?: string;
  /** `create` the bucket when it is missing, or only `bind` to an existing one (hosts without create rights). Default `create`. */
  readonly provision?: ProvisionMode;
  /** Settings for a bucket this backend creates; an existing bucket is used as it is (differences are logged). */
  readonly bucket?: BucketSettings;
  /** Client authentication. Default none. */
  readonly auth?: JetStreamAuth;
  /** TLS files. Default: plain TCP unless the URL says `tls://`. */
  readonly tls?: JetStreamTlsFiles;
  /** Reconnect attempts before the connection is closed for good; `-1` = forever. Default -1. */
  readonly maxReconnectAttempts?: number;
  /** How long a write may retry transient failures (timeouts, leader elections) before it fails. Default 10 000 ms. */
  readonly writeDeadlineMs?: number;
  /** How long `open()` may take to connect and find the bucket (retrying transient failures). Default 15 000 ms. */
  readonly openTimeoutMs?: number;
  /**
   * How long `close()` waits for the acknowledgements of writes already sent, so that each resolves with its
   * revision or fails with what the server answered. A write still unanswered then fails with
   * `BACKEND_UNAVAILABLE` saying it "may or may not have been applied"; a write not sent when `close()` began
   * fails with `CLOSED` and was not written. `0` waits for nothing. Default 5 000 ms (one write attempt's timeout).
   */
  readonly closeGraceMs?: number;
  /**
   * Idle heartbeat of the feed's consumer; two missed heartbeats make the feed recreate it. Default 30 000 ms,
   * like a raw `kv.watch()`: on nats-server 2.9 each heartbeat costs the server about as much as a small API
   * request, so a 3 s heartbeat made 100 idle hosts cost it 1.3 % CPU. A dead consumer is found sooner by the
   * cluster's own word — a server leaving, a stream leader elected — by this host's writes and reconnections,
   * and by the replica's fallback head check; the heartbeat is the last resort.
   */
  readonly heartbeatMs?: number;
  /**
   * Client ping interval; a connection silent for about three pings is treated as dead. Default 20 000 ms (a
   * replica that writes finds a silent partition sooner: an unanswered write makes it ask the head).
   */
  readonly pingIntervalMs?: number;
  /** Structured logger (pino works). Default: silent. */
  readonly logger?: Logger;
  /** Bring your own connection: used as is and never closed by the backend. Default: the backend connects. */
  readonly connection?: NatsConnection;
}

/** The bucket settings after defaults. */
export interface ResolvedBucketSettings {
  readonly history: number;
  readonly replicas: number;
  readonly storage: BucketStorage;
  readonly maxValueSize: number;
}

/** Every option after defaults and validation. */
export interface ResolvedOptions {
  readonly servers: readonly string[];
  readonly prefix: string;
  readonly hostId: string;
  readonly jsDomain: string | undefined;
  readonly provision: ProvisionMode;
  readonly bucket: ResolvedBucketSettings;
  readonly auth: JetStreamAuth | undefined;
  readonly tls: JetStreamTlsFiles | undefined;
  readonly maxReconnectAttempts: number;
  readonly writeDeadlineMs: number;
  readonly openTimeoutMs: number;
  readonly closeGraceMs: number;
  readonly heartbeatMs: number;
  readonly pingIntervalMs: number;
  readonly logger: Logger;
  readonly connection: NatsConnection | undefined;
}

/** The defaults, for documentation and `doctor`. */
export const JETSTREAM_DEFAULTS = {
  prefix: "default",
  provision: "create" as ProvisionMode,
  bucket: { history: 1, replicas: 1, storage: "file" as BucketStorage, maxValueSize: 1024 * 1024 },
  maxReconnectAttempts: -1,
  writeDeadlineMs: 10_000,
  openTimeoutMs: 15_000,
  closeGraceMs: 5_000,
  heartbeatMs: 30_000,
  pingIntervalMs: 20_000,
} as const;

// A prefix becomes part of a stream name and of subjects: one token, no wildcards, nothing a stream
// name may not hold.
const PREFIX_PATTERN = /^[A-Za-z0-9_-]+$/;
const DOMAIN_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Applies defaults and validates; throws `ConfigurationError` naming the field. */
export function resolveOptions(options: JetStreamBackendOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new ConfigurationError("jetstream backend options must be an object", { field: "jetstream" });
  }
  const servers = resolveServers(options.servers, options.connection !== undefined);
  const prefix = options.prefix ?? JETSTREAM_DEFAULTS.prefix;
  if (typeof prefix !== "string" || !PREFIX_PATTERN.test(prefix)) {
    throw new ConfigurationError(
      `jetstream.prefix must be a non-empty string of A-Z a-z 0-9 _ - (got ${JSON.stringify(prefix)})`,
      { field: "jetstream.prefix" },
    );
  }
  const jsDomain = options.jsDomain === "" ? undefined : options.jsDomain;
  if (jsDomain !== undefined && (typeof jsDomain !== "string" || !DOMAIN_PATTERN.test(jsDomain))) {
    throw new ConfigurationError(
      `jetstream.jsDomain must be a string of A-Z a-z 0-9 _ - (got ${JSON.stringify(jsDomain)})`,
      { field: "jetstream.jsDomain" },
    );
  }
  const provision = options.provision ?? JETSTREAM_DEFAULTS.provision;
  if (provision !== "create" && provision !== "bind") {
    throw new ConfigurationError(
      `jetstream.provision must be "create" or "bind" (got ${JSON.stringify(provision)})`,
      {
        field: "jetstream.provision",
        allowed: ["create", "bind"],
      },
    );
  }
  const hostId = options.hostId ?? `${hostname()}-${process.pid}`;
  if (typeof hostId !== "string" || hostId.length === 0) {
    throw new ConfigurationError("jetstream.hostId must be a non-empty string", {
      field: "jetstream.hostId",
    });
  }
  return {
    servers,
    prefix,
    hostId,
    jsDomain,
    provision,
    bucket: resolveBucket(options.bucket),
    auth: resolveAuth(options.auth),
    tls: resolveTls(options.tls),
    maxReconnectAttempts: integerOption(
      "maxReconnectAttempts",
      options.maxReconnectAttempts,
      JETSTREAM_DEFAULTS.maxReconnectAttempts,
      -1,
    ),
    writeDeadlineMs: integerOption(
      "writeDeadlineMs",
      options.writeDeadlineMs,
      JETSTREAM_DEFAULTS.writeDeadlineMs,
      1,
    ),
    openTimeoutMs: integerOption("openTimeoutMs", options.openTimeoutMs, JETSTREAM_DEFAULTS.openTimeoutMs, 1),
    closeGraceMs: integerOption("closeGraceMs", options.closeGraceMs, JETSTREAM_DEFAULTS.closeGraceMs, 0),
    heartbeatMs: integerOption("heartbeatMs", options.heartbeatMs, JETSTREAM_DEFAULTS.heartbeatMs, 100),
    pingIntervalMs: integerOption(
      "pingIntervalMs",
      options.pingIntervalMs,
      JETSTREAM_DEFAULTS.pingIntervalMs,
      100,
    ),
    logger: options.logger ?? silentLogger,
    connection: options.connection,
  };
}

function resolveServers(
  raw: string | readonly string[] | undefined,
  haveConnection: boolean,
): readonly string[] {
  if (raw === undefined) {
    if (haveConnection) return [];
    throw new ConfigurationError("jetstream.servers is required (e.g. nats://127.0.0.1:4222)", {
      field: "jetstream.servers",
    });
  }
  const list = typeof raw === "string" ? raw.split(",").map((s) => s.trim()) : [...raw];
  if (list.length === 0 || list.some((s) => typeof s !== "string" || s.length === 0)) {
    throw new ConfigurationError("jetstream.servers must be a URL or a non-empty list of URLs", {
      field: "jetstream.servers",
    });
  }
  return list;
}

function resolveBucket(raw: BucketSettings | undefined): ResolvedBucketSettings {
  const d = JETSTREAM_DEFAULTS.bucket;
  const storage = raw?.storage ?? d.storage;
  if (storage !== "file" && storage !== "memory") {
    throw new ConfigurationError(
      `jetstream.bucket.storage must be "file" or "memory" (got ${JSON.stringify(storage)})`,
      {
        field: "jetstream.bucket.storage",
        allowed: ["file", "memory"],
      },
    );
  }
  const replicas = integerOption("bucket.replicas", raw?.replicas, d.replicas, 1);
  if (replicas > 5) {
    throw new ConfigurationError(`jetstream.bucket.replicas must be between 1 and 5 (got ${replicas})`, {
      field: "jetstream.bucket.replicas",
    });
  }
  return {
    history: integerOption("bucket.history", raw?.history, d.history, 1),
    replicas,
    storage,
    maxValueSize: integerOption("bucket.maxValueSize", raw?.maxValueSize, d.maxValueSize, 1),
  };
}

function resolveAuth(raw: JetStreamAuth | undefined): JetStreamAuth | undefined {
  if (raw === undefined) return undefined;
  const kinds = ["token", "user", "nkeySeed", "credsFile"].filter((k) => k in (raw as object));
  if (kinds.length !== 1) {
    throw new ConfigurationError(
      "jetstream.auth must hold exactly one of: token, user + pass, nkeySeed, credsFile" +
        (kinds.length ? ` (got ${kinds.join(", ")})` : ""),
      { field: "jetstream.auth", allowed: ["token", "user", "nkeySeed", "credsFile"] },
    );
  }
  for (const [field, value] of Object.entries(raw)) {
    if (typeof value !== "string" || (value.length === 0 && field !== "pass")) {
      throw new ConfigurationError(`jetstream.auth.${field} must be a non-empty string`, {
        field: `jetstream.auth.${field}`,
      });
    }
  }
  if ("user" in raw && typeof (raw as { pass?: unknown }).pass !== "string") {
    throw new ConfigurationError("jetstream.auth.pass is required with jetstream.auth.user", {
      field: "jetstream.auth.pass",
    });
  }
  return raw;
}

function resolveTls(raw: JetStreamTlsFiles | undefined): JetStreamTlsFiles | undefined {
  if (raw === undefined) return undefined;
  for (const [field, value] of Object.entries(raw)) {
    if (value !== undefined && (typeof value !== "string" || value.length === 0)) {
      throw new ConfigurationError(`jetstream.tls.${field} must be a file path`, {
        field: `jetstream.tls.${field}`,
      });
    }
  }
  if ((raw.certFile === undefined) !== (raw.keyFile === undefined)) {
    throw new ConfigurationError("jetstream.tls.certFile and jetstream.tls.keyFile must be given together", {
      field: raw.certFile === undefined ? "jetstream.tls.certFile" : "jetstream.tls.keyFile",
    });
  }
  return raw;
}

function integerOption(field: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigurationError(`jetstream.${field} must be an integer ≥ ${min} (got ${String(value)})`, {
      field: `jetstream.${field}`,
    });
  }
  return value;
}
