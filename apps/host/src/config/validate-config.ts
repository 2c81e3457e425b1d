// Turns the merged raw layers into a HostConfig, or throws a ConfigurationError naming the field, the source
// that set it and the allowed values.
import { ConfigurationError, LEGACY_POLICIES } from "@lattice-cache/core";
import type { ConfigLayer, RawConfig } from "./config-layer.js";
import { isPlainObject } from "./config-layer.js";
import {
  type BucketConfig,
  DEFAULT_CONFIG,
  type HostConfig,
  LOG_LEVELS,
  type LogLevel,
  type NatsAuthConfig,
  type NatsConfig,
  type NatsTlsConfig,
  PROVISION_MODES,
  type RedisConfig,
  type RedisSentinelConfig,
  STORAGE_KINDS,
} from "./host-config.js";

/** The keys each section of the config accepts; anything else is a typo worth reporting. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  "": [
    "backend",
    "prefix",
    "hostId",
    "logLevel",
    "http",
    "connectTimeoutMs",
    "readyTimeoutMs",
    "maxValueBytes",
    "nats",
    "redis",
    "bridge",
  ],
  http: ["host", "port"],
  nats: ["servers", "jsDomain", "auth", "tls", "provision", "bucket"],
  "nats.auth": ["token", "user", "password", "nkeySeed", "credsFile"],
  "nats.tls": ["caFile", "certFile", "keyFile"],
  "nats.bucket": ["history", "replicas", "storage", "maxValueSize"],
  redis: ["url", "username", "password", "tls", "cluster", "sentinel", "changeLogLength"],
  "redis.sentinel": ["name", "sentinels"],
  bridge: ["policy"],
};

/** Characters a lattice prefix may hold: it becomes part of a bucket name and of NATS subjects. */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]+$/;
/** 64 MiB: the largest `max_payload` a NATS server accepts; Redis takes more, but no lattice entry needs it. */
const MAX_VALUE_BYTES_CEILING = 64 * 1024 * 1024;
const NATS_SCHEMES = ["nats:", "tls:", "ws:", "wss:"];
const REDIS_SCHEMES = ["redis:", "rediss:"];

/** What validation needs to know beyond the config itself. */
export interface ValidationContext {
  /** Backend names in the registry (the allowed values of `backend`). */
  readonly backends: readonly string[];
  /** The config file read, if any. */
  readonly configFile?: string;
}

/**
 * Validates the merged layer against the schema and applies the defaults.
 * Throws `ConfigurationError` with `field` (dotted path) and, for enumerations, `allowed`.
 */
export function validateConfig(merged: ConfigLayer, context: ValidationContext): HostConfig {
  const r: ConfigReader = new ConfigReader(merged);
  for (const [section, keys] of Object.entries(KNOWN_KEYS)) r.checkKeys(section, keys);

  const d = DEFAULT_CONFIG;
  const auth: NatsAuthConfig = {
    token: r.optionalString("nats.auth.token"),
    user: r.optionalString("nats.auth.user"),
    password: r.optionalString("nats.auth.password"),
    nkeySeed: r.optionalString("nats.auth.nkeySeed"),
    credsFile: r.optionalString("nats.auth.credsFile"),
  };
  checkAuth(r, auth);
  const tls: NatsTlsConfig = {
    caFile: r.optionalString("nats.tls.caFile"),
    certFile: r.optionalString("nats.tls.certFile"),
    keyFile: r.optionalString("nats.tls.keyFile"),
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    r.fail(
      tls.certFile === undefined ? "nats.tls.certFile" : "nats.tls.keyFile",
      "certFile and keyFile go together",
    );
  }
  const bucket: BucketConfig = {
    history: r.integer("nats.bucket.history", d.nats.bucket.history, 1, 64),
    replicas: r.integer("nats.bucket.replicas", d.nats.bucket.replicas, 1, 5),
    storage: r.enumeration("nats.bucket.storage", STORAGE_KINDS, d.nats.bucket.storage),
    maxValueSize: r.optionalInteger("nats.bucket.maxValueSize", 1, MAX_VALUE_BYTES_CEILING),
  };
  const nats: NatsConfig = {
    servers: r.urlList("nats.servers", d.nats.servers, NATS_SCHEMES, 4222),
    jsDomain: r.optionalString("nats.jsDomain", PREFIX_PATTERN, "letters, digits, _ and -"),
    auth: dropUndefined(auth),
    tls: Object.values(tls).some((v) => v !== undefined) ? dropUndefined(tls) : undefined,
    provision: r.enumeration("nats.provision", PROVISION_MODES, d.nats.provision),
    bucket: dropUndefined(bucket),
  };
  const redis: RedisConfig = {
    url: r.url("redis.url", d.redis.url, REDIS_SCHEMES),
    username: r.optionalString("redis.username"),
    password: r.optionalString("redis.password"),
    tls: r.boolean("redis.tls", d.redis.tls),
    cluster: r.optionalStringList("redis.cluster"),
    sentinel: readSentinel(r),
    changeLogLength: r.optionalInteger("redis.changeLogLength", 1, 1_000_000_000),
  };
  return dropUndefined({
    backend: r.enumeration("backend", context.backends, d.backend),
    prefix: r.string("prefix", d.prefix, PREFIX_PATTERN, "letters, digits, _ and -"),
    hostId: r.optionalString("hostId", /^[A-Za-z0-9_.:=-]+$/, "letters, digits and _ . : = -"),
    logLevel: r.optionalEnumeration<LogLevel>("logLevel", LOG_LEVELS),
    http: {
      host: r.string("http.host", d.http.host),
      port: r.integer("http.port", d.http.port, 0, 65_535),
    },
    connectTimeoutMs: r.integer("connectTimeoutMs", d.connectTimeoutMs, 100, 600_000),
    readyTimeoutMs: r.integer("readyTimeoutMs", d.readyTimeoutMs, 100, 3_600_000),
    maxValueBytes: r.integer("maxValueBytes", d.maxValueBytes, 1, MAX_VALUE_BYTES_CEILING),
    nats: dropUndefined(nats),
    redis: dropUndefined(redis),
    bridge: { policy: r.enumeration("bridge.policy", LEGACY_POLICIES, d.bridge.policy) },
    configFile: context.configFile,
  });
}

function checkAuth(r: ConfigReader, auth: NatsAuthConfig): void {
  const methods = [
    auth.token !== undefined && "token",
    (auth.user !== undefined || auth.password !== undefined) && "user/password",
    auth.nkeySeed !== undefined && "nkeySeed",
    auth.credsFile !== undefined && "credsFile",
  ].filter((m): m is string => typeof m === "string");
  if (methods.length > 1) {
    r.fail("nats.auth", `only one authentication method may be set, found ${methods.join(" and ")}`, [
      "token",
      "user/password",
      "nkeySeed",
      "credsFile",
    ]);
  }
  if ((auth.user === undefined) !== (auth.password === undefined)) {
    r.fail(
      auth.user === undefined ? "nats.auth.user" : "nats.auth.password",
      "user and password go together",
    );
  }
}

function readSentinel(r: ConfigReader): RedisSentinelConfig | undefined {
  if (r.raw("redis.sentinel") === undefined) return undefined;
  const name = r.optionalString("redis.sentinel.name");
  const sentinels = r.optionalStringList("redis.sentinel.sentinels");
  if (name === undefined) r.fail("redis.sentinel.name", "is required when redis.sentinel is set");
  if (sentinels === undefined || sentinels.length === 0) {
    r.fail("redis.sentinel.sentinels", "needs at least one host:port when redis.sentinel is set");
  }
  return { name, sentinels };
}

/** Removes keys whose value is undefined so printed configs and deep-equal tests stay clean. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Typed access to the raw tree; every failure names the dotted field and where its value came from. */
class ConfigReader {
  constructor(private readonly layer: ConfigLayer) {}

  raw(path: string): unknown {
    let node: unknown = this.layer.values;
    for (const part of path.split(".")) {
      // Own keys only: nothing inherited from Object.prototype is a setting.
      if (!isPlainObject(node) || !Object.hasOwn(node, part)) return undefined;
      node = node[part];
    }
    return node;
  }

  fail(path: string, problem: string, allowed?: readonly string[]): never {
    const source = this.layer.sources.get(path);
    const from = source ? ` (set by ${source})` : "";
    const choices = allowed ? `; allowed values: ${allowed.join(", ")}` : "";
    throw new ConfigurationError(
      `invalid configuration: ${path || "the top level"} ${problem}${from}${choices}`,
      {
        field: path,
        allowed,
      },
    );
  }

  checkKeys(section: string, known: readonly string[]): void {
    const node = section === "" ? this.layer.values : this.raw(section);
    if (node === undefined) return;
    if (!isPlainObject(node)) this.fail(section, `must be a mapping (got ${describe(node)})`);
    for (const key of Object.keys(node as RawConfig)) {
      if (!known.includes(key)) {
        // Quoted unless a plain word, so an empty or dotted key still makes a field name a reader can find.
        const name = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
        const path = section ? `${section}.${name}` : name;
        this.fail(
          path,
          "is not a known setting",
          known.map((k) => (section ? `${section}.${k}` : k)),
        );
      }
    }
  }

  optionalString(path: string, pattern?: RegExp, patternText?: string): string | undefined {
    const value = this.raw(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" && typeof value !== "number")
      this.fail(path, `must be a string (got ${describe(value)})`);
    const text = String(value).trim();
    if (text === "") this.fail(path, "must not be empty");
    if (pattern && !pattern.test(text))
      this.fail(path, `may only contain ${patternText} (got ${JSON.stringify(text)})`);
    return text;
  }

  string(path: string, fallback: string, pattern?: RegExp, patternText?: string): string {
    return this.optionalString(path, pattern, patternText) ?? fallback;
  }

  optionalEnumeration<T extends string>(path: string, allowed: readonly T[]): T | undefined {
    const value = this.raw(path);
    if (value === undefined || value === null) return undefined;
    const text = typeof value === "string" ? value.trim() : undefined;
    if (text === undefined || !allowed.includes(text as T)) {
      this.fail(path, `must be one of the allowed values (got ${JSON.stringify(value)})`, allowed);
    }
    return text as T;
  }

  enumeration<T extends string>(path: string, allowed: readonly T[], fallback: T): T {
    return this.optionalEnumeration(path, allowed) ?? fallback;
  }

  optionalInteger(path: string, min: number, max: number): number | undefined {
    const value = this.raw(path);
    if (value === undefined || value === null) return undefined;
    const n =
      typeof value === "number"
        ? value
        : typeof value === "string" && /^\s*-?\d+\s*$/.test(value)
          ? Number(value)
          : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.fail(path, `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
    return n;
  }

  integer(path: string, fallback: number, min: number, max: number): number {
    return this.optionalInteger(path, min, max) ?? fallback;
  }

  boolean(path: string, fallback: boolean): boolean {
    const value = this.raw(path);
    if (value === undefined || value === null) return fallback;
    if (typeof value === "boolean") return value;
    if (typeof value === "string" && ["true", "1", "yes", "on"].includes(value.toLowerCase())) return true;
    if (typeof value === "string" && ["false", "0", "no", "off"].includes(value.toLowerCase())) return false;
    return this.fail(path, `must be a boolean (got ${JSON.stringify(value)})`, ["true", "false"]);
  }

  /** A list given as an array or as a comma-separated string. */
  optionalStringList(path: string): string[] | undefined {
    const value = this.raw(path);
    if (value === undefined || value === null) return undefined;
    const items = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value : undefined;
    if (!items?.every((i) => typeof i === "string")) {
      this.fail(path, `must be a list of strings or a comma-separated string (got ${describe(value)})`);
    }
    const list = (items as string[]).map((s) => s.trim()).filter((s) => s.length > 0);
    if (list.length === 0) this.fail(path, "must not be empty");
    return list;
  }

  urlList(
    path: string,
    fallback: readonly string[],
    schemes: readonly string[],
    defaultPort: number,
  ): string[] {
    const list = this.optionalStringList(path);
    if (!list) return [...fallback];
    return list.map((item) => this.normalizeUrl(path, item, schemes, defaultPort));
  }

  url(path: string, fallback: string, schemes: readonly string[]): string {
    const text = this.optionalString(path);
    return text === undefined ? fallback : this.normalizeUrl(path, text, schemes, undefined);
  }

  private normalizeUrl(
    path: string,
    text: string,
    schemes: readonly string[],
    defaultPort: number | undefined,
  ): string {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text)
      ? text
      : `${(schemes[0] as string).slice(0, -1)}://${text}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      return this.fail(path, `holds an invalid URL ${JSON.stringify(text)}`);
    }
    if (!schemes.includes(url.protocol)) {
      this.fail(
        path,
        `URL ${JSON.stringify(text)} has scheme ${url.protocol.slice(0, -1)}`,
        schemes.map((s) => `${s}//`),
      );
    }
    if (url.hostname === "") this.fail(path, `URL ${JSON.stringify(text)} has no host`);
    if (
      defaultPort !== undefined &&
      url.port === "" &&
      (url.protocol === "nats:" || url.protocol === "tls:")
    ) {
      url.port = String(defaultPort);
    }
    // URL adds a trailing "/" to special-less schemes only when a path was given; keep the user's form otherwise.
    const out = url.toString();
    return out.endsWith("/") && !text.endsWith("/") ? out.slice(0, -1) : out;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "a mapping" : `${typeof value} ${JSON.stringify(value)}`;
}
