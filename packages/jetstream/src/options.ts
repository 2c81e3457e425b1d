// The options of the jetstream backend as one schema: what each accepts, its default, and how a bad value is
// worded. Its NATS settings (servers, credentials, TLS, JetStream domain, bucket) are also the `nats` section
// of `lattice`'s configuration — the very same schemas (src/host/) — so a bad value reads the same from a
// program and from `lattice`; the rest only a program gives.
import { hostname } from "node:os";
import { type Logger, silentLogger } from "@lattice-cache/core/backend";
import {
  choice,
  configSection,
  HOST_ID_TEXT,
  integer,
  mapping,
  type OptionsInput,
  PREFIX_TEXT,
  parseOptions,
  prefixSetting,
  setting,
  settingGroup,
  text,
} from "@lattice-cache/plugin";
import { NATS_CONNECTION_SETTINGS, NATS_MAX_PAYLOAD_CEILING } from "@lattice-cache/plugin/nats";
import type { NatsConnection } from "@nats-io/nats-core";
import { z } from "zod";

/** The key of the settings in `lattice`'s configuration, and the first part of every option's name in messages. */
export const JETSTREAM_SECTION = "nats";

/** How the backend gets its bucket: create it when missing, or only bind to an existing one. */
export const PROVISION_MODES = ["create", "bind"] as const;

/** One of {@link PROVISION_MODES}. */
export type ProvisionMode = (typeof PROVISION_MODES)[number];

/** Where JetStream keeps the bucket's data. */
export type BucketStorage = "file" | "memory";

const DAY_MS = 86_400_000;

/** The settings a user gives `lattice` too: how to reach NATS, the JetStream domain, a new bucket's settings. */
export const JETSTREAM_SETTINGS = {
  ...NATS_CONNECTION_SETTINGS,
  jsDomain: setting(text(PREFIX_TEXT).optional(), {
    description: "JetStream domain (leaf nodes, superclusters)",
    env: "LATTICE_JS_DOMAIN",
    envFallbacks: ["WASMCLOUD_JS_DOMAIN"],
    flag: "--js-domain <domain>",
  }),
  bucket: settingGroup({
    history: setting(integer(1, 64).default(1), {
      description: "values kept per key of a bucket the host creates",
      env: "LATTICE_BUCKET_HISTORY",
    }),
    replicas: setting(integer(1, 5).default(1), {
      description: "stream replicas of a bucket the host creates (3 advised for production)",
      env: "LATTICE_BUCKET_REPLICAS",
    }),
    storage: setting(choice(["file", "memory"]).default("file"), {
      description: "stream storage of a bucket the host creates",
      env: "LATTICE_BUCKET_STORAGE",
    }),
    maxValueSize: setting(integer(1, NATS_MAX_PAYLOAD_CEILING).default(1024 * 1024), {
      description: "largest value a bucket the host creates accepts, in bytes",
    }),
  }),
};

/** The host's `nats` section: the same setting objects as the library options' (a backend's schema is its config). */
export const jetstreamConfigSection = configSection(JETSTREAM_SECTION, JETSTREAM_SETTINGS);

/** A pino-compatible logger: an object with debug, info, warn and error. */
function isLogger(value: unknown): value is Logger {
  const logger = value as Partial<Record<keyof Logger, unknown>> | null;
  return (
    typeof logger === "object" &&
    logger !== null &&
    (["debug", "info", "warn", "error"] as const).every((level) => typeof logger[level] === "function")
  );
}

/** A nats.js connection (what `connect()` resolves with). */
function isConnection(value: unknown): value is NatsConnection {
  const nc = value as Partial<Record<keyof NatsConnection, unknown>> | null;
  return typeof nc === "object" && nc !== null && typeof nc.subscribe === "function";
}

/** Every option of `JetStreamBackend`, `inspectJetStream` and `listJetStreamLattices`. */
export const JETSTREAM_OPTIONS = mapping({
  ...JETSTREAM_SETTINGS,
  prefix: prefixSetting(),
  hostId: setting(
    text(HOST_ID_TEXT).default(() => `${hostname()}-${process.pid}`),
    {
      description: "this host's id: the connection is named lattice-cache:{hostId}",
      defaultText: "`{hostname}-{pid}`",
    },
  ),
  provision: setting(choice(PROVISION_MODES).default("create"), {
    description:
      "create the bucket when it is missing, or only bind to an existing one (`lattice`: bind under createLattice: never)",
  }),
  maxReconnectAttempts: setting(integer(-1, 1_000_000).default(-1), {
    description: "reconnect attempts before the connection closes for good; -1 = forever",
  }),
  writeDeadlineMs: setting(integer(1, DAY_MS).default(10_000), {
    description:
      "how long a write retries transient failures (timeouts, leader elections) before it fails, in ms",
  }),
  openTimeoutMs: setting(integer(1, DAY_MS).default(15_000), {
    description:
      "how long open() may take to connect and find the bucket (retrying transient failures), in ms",
  }),
  closeGraceMs: setting(integer(0, DAY_MS).default(5_000), {
    description:
      "how long close() waits for the acknowledgements of writes already sent, in ms (0: none): a write still " +
      "unanswered then fails saying it may or may not have been applied; one not yet sent fails with CLOSED",
  }),
  heartbeatMs: setting(integer(100, DAY_MS).default(30_000), {
    description:
      "idle heartbeat of the feed's consumer, in ms; two missed ones make the feed recreate it (the last " +
      "resort: a server leaving, a stream leader elected, a write or a reconnection find a dead consumer sooner)",
  }),
  pingIntervalMs: setting(integer(100, DAY_MS).default(20_000), {
    description: "client ping interval, in ms; a connection silent for about three pings counts as dead",
  }),
  logger: setting(
    z
      .custom<Logger>(isLogger, { error: "must be a logger with debug, info, warn and error (pino works)" })
      .default(() => silentLogger),
    { description: "structured logger (pino works)", defaultText: "silent" },
  ),
  connection: setting(
    z.custom<NatsConnection>(isConnection, { error: "must be a NatsConnection" }).optional(),
    { description: "a connection of the program's own: used as is and never closed by the backend" },
  ),
});

/** The options of `JetStreamBackend` as a program writes them (every one optional). */
export type JetStreamBackendOptions = OptionsInput<typeof JETSTREAM_OPTIONS>;

/** Every option after defaults and validation. */
export type ResolvedOptions = z.output<typeof JETSTREAM_OPTIONS>;

/** The settings of a bucket the backend creates, as a program writes them. */
export type BucketSettings = NonNullable<JetStreamBackendOptions["bucket"]>;

/** The settings of a bucket the backend creates, after defaults. */
export type ResolvedBucketSettings = ResolvedOptions["bucket"];

/** Credentials: at most one of a token, a user and password, an nkey seed or a creds file. */
export type JetStreamAuth = NonNullable<JetStreamBackendOptions["auth"]>;

/** TLS files (PEM): a CA to verify the server; a certificate and key for client authentication. */
export type JetStreamTlsFiles = NonNullable<JetStreamBackendOptions["tls"]>;

/** The options outside the `nats` section: the host's own settings (`prefix`, `hostId`) and a program's. */

/**
 * `options` validated, defaults applied. With a `connection` and no `servers`, `servers` is empty: messages
 * then name the given connection rather than the default URL.
 * @throws ConfigurationError one line per bad option, each named as users write it: `nats.bucket.replicas`
 * as in `lattice`'s configuration, `prefix` and the options only a program gives as they are
 */
export function parseJetStreamOptions(options: JetStreamBackendOptions | undefined): ResolvedOptions {
  const parsed = parseOptions(JETSTREAM_OPTIONS, options, jetstreamConfigSection);
  return parsed.connection !== undefined && options?.servers === undefined
    ? { ...parsed, servers: [] }
    : parsed;
}

/** Every default, from the schema (without the program's own `logger`, `connection` and `hostId`). */
export const JETSTREAM_DEFAULTS = defaults();

function defaults() {
  const { logger: _logger, connection: _connection, hostId: _hostId, ...rest } = parseJetStreamOptions({});
  return rest;
}
