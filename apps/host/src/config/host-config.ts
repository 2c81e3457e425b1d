// The validated configuration of a host, its defaults, and the enumerations validation checks against.
import { DEFAULT_MAX_VALUE_BYTES, type LegacyPolicy } from "@lattice-cache/core";

/** Log levels pino accepts, most severe first. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the jetstream backend treats the bucket: create it when missing, or only bind to an existing one. */
export const PROVISION_MODES = ["create", "bind"] as const;

/** One of {@link PROVISION_MODES}. */
export type ProvisionMode = (typeof PROVISION_MODES)[number];

/** JetStream storage kinds for the bucket's stream. */
export const STORAGE_KINDS = ["file", "memory"] as const;

/** One of {@link STORAGE_KINDS}. */
export type StorageKind = (typeof STORAGE_KINDS)[number];

/** NATS client credentials; at most one method is used (token, user/password, nkey seed or creds file). */
export interface NatsAuthConfig {
  /** Token authentication. Secret: masked in `config print`. */
  readonly token?: string;
  /** User name for user/password authentication. */
  readonly user?: string;
  /** Password for user/password authentication. Secret. */
  readonly password?: string;
  /** An nkey seed (`SU…`). Secret. */
  readonly nkeySeed?: string;
  /** Path of a JWT `.creds` file (the path is not secret; the file is). */
  readonly credsFile?: string;
}

/** TLS files for the NATS connection. */
export interface NatsTlsConfig {
  /** CA certificate (PEM) to verify the server. */
  readonly caFile?: string;
  /** Client certificate (PEM) for mutual TLS. */
  readonly certFile?: string;
  /** Client key (PEM) for mutual TLS. */
  readonly keyFile?: string;
}

/** Settings of the `LATTICEDATA_{prefix}` bucket when the host creates it. */
export interface BucketConfig {
  /** Values kept per key. Default 1 (what wasmCloud hosts use). */
  readonly history: number;
  /** Stream replicas. Default 1; 3 is advised for production. */
  readonly replicas: number;
  /** Stream storage. Default `file`. */
  readonly storage: StorageKind;
  /** Largest value in bytes, when limited. Default: unlimited (the server's `max_payload` applies). */
  readonly maxValueSize?: number;
}

/** Connection settings for NATS (the jetstream and legacy backends). */
export interface NatsConfig {
  /** Server URLs. Default `["nats://127.0.0.1:4222"]`. */
  readonly servers: readonly string[];
  /** JetStream domain (leaf nodes, superclusters). Default: none. */
  readonly jsDomain?: string;
  /** Credentials. Default: none. */
  readonly auth: NatsAuthConfig;
  /** TLS files. Default: none (plain TCP unless the URL says `tls://`). */
  readonly tls?: NatsTlsConfig;
  /** `create` (default) provisions the bucket when missing; `bind` only uses an existing one. */
  readonly provision: ProvisionMode;
  /** Bucket settings used when creating it. */
  readonly bucket: BucketConfig;
}

/** A Redis Sentinel deployment. */
export interface RedisSentinelConfig {
  /** The monitored master's name. */
  readonly name: string;
  /** Sentinel addresses, `host:port`. */
  readonly sentinels: readonly string[];
}

/** Connection settings for Redis (the redis backend). */
export interface RedisConfig {
  /** `redis://` or `rediss://` URL. Default `redis://127.0.0.1:6379`. */
  readonly url: string;
  /** ACL user name. Default: none. */
  readonly username?: string;
  /** Password. Secret: masked in `config print`. */
  readonly password?: string;
  /** Use TLS (also implied by `rediss://`). Default false. */
  readonly tls: boolean;
  /** Redis Cluster seed nodes (`host:port`); when set, `url` is ignored. Default: none. */
  readonly cluster?: readonly string[];
  /** Redis Sentinel; when set, `url` is ignored. Default: none. */
  readonly sentinel?: RedisSentinelConfig;
  /** Entries kept in the change log stream. Default: the backend's. */
  readonly changeLogLength?: number;
}

/** Settings of `lattice bridge` (the migration bridge between old hosts and the durable backend). */
export interface BridgeConfig {
  /**
   * How a legacy put/del is written to the durable backend (rule 12): `legacy-wins` writes it unconditionally,
   * `durable-wins` only creates missing keys. Default `legacy-wins`.
   */
  readonly policy: LegacyPolicy;
}

/** The host's HTTP endpoints. */
export interface HttpConfig {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host: string;
  /** Port; `0` picks any free port (printed at start). Default 7411. */
  readonly port: number;
}

/** The effective configuration of one `lattice` invocation, after file < env < flags and validation. */
export interface HostConfig {
  /** Backend name in the backend registry. Default `jetstream`. */
  readonly backend: string;
  /** Lattice prefix (`LATTICEDATA_{prefix}`). Default `default`. */
  readonly prefix: string;
  /** This host's id, the origin of its writes. Default: generated per process. */
  readonly hostId?: string;
  /** Log level. Default: `info` for `host`/`up`, `warn` for one-shot commands. */
  readonly logLevel?: LogLevel;
  /** HTTP endpoints of `host` and `up`. */
  readonly http: HttpConfig;
  /** Deadline for opening the backend (connect + provision), in ms. Default 5000. */
  readonly connectTimeoutMs: number;
  /** Deadline for the initial sync of one-shot commands, in ms. Default 15000. */
  readonly readyTimeoutMs: number;
  /** Largest encoded value a write may carry, in bytes; larger ones are refused before sending. Default 1 MiB. */
  readonly maxValueBytes: number;
  /** NATS settings. */
  readonly nats: NatsConfig;
  /** Redis settings. */
  readonly redis: RedisConfig;
  /** `lattice bridge` settings. */
  readonly bridge: BridgeConfig;
  /** The config file that was read, if any (absolute path). */
  readonly configFile?: string;
}

/** Default NATS URL. */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
/** Default Redis URL. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
/** Default HTTP port of `host` and `up`. */
export const DEFAULT_HTTP_PORT = 7411;
/** Default HTTP port of `lattice bridge` (its own, so a bridge and a host can run side by side). */
export const DEFAULT_BRIDGE_HTTP_PORT = 7412;
/** Default policy of `lattice bridge`. */
export const DEFAULT_BRIDGE_POLICY: LegacyPolicy = "legacy-wins";
/** Default lattice prefix. */
export const DEFAULT_PREFIX = "default";
/** Default backend. */
export const DEFAULT_BACKEND = "jetstream";

/** Every default in one place (what `config print` shows when nothing is set). */
export const DEFAULT_CONFIG: HostConfig = {
  backend: DEFAULT_BACKEND,
  prefix: DEFAULT_PREFIX,
  http: { host: "127.0.0.1", port: DEFAULT_HTTP_PORT },
  connectTimeoutMs: 5000,
  readyTimeoutMs: 15_000,
  maxValueBytes: DEFAULT_MAX_VALUE_BYTES,
  nats: {
    servers: [DEFAULT_NATS_URL],
    auth: {},
    provision: "create",
    bucket: { history: 1, replicas: 1, storage: "file" },
  },
  redis: { url: DEFAULT_REDIS_URL, tls: false },
  bridge: { policy: DEFAULT_BRIDGE_POLICY },
};
