// The host's own settings — every backend's too: which backend, the lattice prefix, the host's id, logs,
// HTTP, deadlines, value size and `lattice bridge`. Backends add their sections beside these.
import { DEFAULT_MAX_VALUE_BYTES } from "@lattice-cache/core";
import { LEGACY_POLICIES, type LegacyPolicy } from "@lattice-cache/core/backend";
import {
  CREATE_LATTICE_MODES,
  choice,
  duration,
  HOST_ID_TEXT,
  integer,
  MIN_STATUS_SECRET_LENGTH,
  prefixSetting,
  type SettingsValues,
  setting,
  settingGroup,
  statusSecretProblem,
  text,
  textList,
  toggle,
} from "@lattice-cache/plugin";
import { NATS_MAX_PAYLOAD_CEILING } from "@lattice-cache/plugin/nats";

export { CREATE_LATTICE_MODES, type CreateLatticeMode, DEFAULT_PREFIX } from "@lattice-cache/plugin";

/** Log levels pino accepts, most severe first. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What `/readyz` means (`http.readiness`): `serving` is ready while the replica serves, stale included; `strict` is not while stale. */
export const READINESS_MODES = ["serving", "strict"] as const;

/** One of {@link READINESS_MODES}. */
export type ReadinessMode = (typeof READINESS_MODES)[number];
/** How logs are written: pino's JSON lines, or lines for people (time, level, message, key=value fields). */
export const LOG_FORMATS = ["json", "pretty"] as const;

/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Default HTTP port of `host` and `up`. */
export const DEFAULT_HTTP_PORT = 7411;
/** Default HTTP port of `lattice bridge` (its own, so a bridge and a host can run side by side). */
export const DEFAULT_BRIDGE_HTTP_PORT = 7412;
/**
 * The prefix of `lattice up`'s demo lattice when the configuration names none. It is no lattice of anyone's:
 * under `createLattice: auto` it does not count as another lattice beside a first real one.
 */
export const DEMO_PREFIX = "demo";

/** 64 MiB: the largest `max_payload` a NATS server accepts; Redis takes more, but no lattice entry needs it. */
export const MAX_VALUE_BYTES_CEILING = NATS_MAX_PAYLOAD_CEILING;

/** `backend`: one of the registered backends' names, the first by default. */
export function backendSetting(names: readonly string[]) {
  const allowed = (names.length > 0 ? names : ["jetstream"]) as [string, ...string[]];
  return setting(choice(allowed).default(allowed[0]), {
    description:
      "storage backend: a built-in one, or a plugin's — a name lattice does not know is loaded from the package @lattice-cache/{name} or lattice-backend-{name} (see plugins)",
    env: "LATTICE_BACKEND",
    flag: "--backend <name>",
  });
}

/** The shortest HTTP token accepted (a guessable token guards nothing: the endpoints do not rate-limit). */
export const MIN_HTTP_TOKEN_LENGTH = 16;

/** What an HTTP token must be, wherever it comes from (the message never echoes it: it is a secret). */
export function httpTokenProblem(token: string): string | undefined {
  return token.length < MIN_HTTP_TOKEN_LENGTH
    ? `must be at least ${MIN_HTTP_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`
    : undefined;
}

/** `http.token`: text of at least {@link MIN_HTTP_TOKEN_LENGTH} characters. */
function httpToken() {
  return text().superRefine((token, ctx) => {
    const problem = httpTokenProblem(token);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

/** A host name as a Host header or `http.allowedHosts` gives it (without a port): DNS labels, maybe a final dot. */
export const HOST_NAME_PATTERN = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i;

/** `http.allowedHosts`: host names, as a list or comma-separated (no scheme, port or path). */
function hostNameList() {
  return textList().superRefine((names, ctx) => {
    const bad = names.find((name) => !HOST_NAME_PATTERN.test(name));
    if (bad !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `entries must be host names, without scheme, port or path (got ${JSON.stringify(bad)})`,
      });
    }
  });
}

/** What `http.advertise` must be: an absolute http: or https: URL. */
export function advertiseUrlProblem(url: string): string | undefined {
  try {
    const { protocol } = new URL(url);
    if (protocol === "http:" || protocol === "https:") return undefined;
  } catch {
    // not a URL
  }
  return `must be an absolute http:// or https:// URL (got ${JSON.stringify(url)})`;
}

/** `http.advertise`: an absolute http: or https: URL. */
function advertiseUrl() {
  return text().superRefine((url, ctx) => {
    const problem = advertiseUrlProblem(url);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

/** `status.secret`: text of at least {@link MIN_STATUS_SECRET_LENGTH} characters. */
function statusSecret() {
  return text().superRefine((secret, ctx) => {
    const problem = statusSecretProblem(secret);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

/** The host's settings other than `backend` (whose allowed values are the registry's). */
export const CORE_SETTINGS = {
  plugins: setting(textList().optional(), {
    description:
      "backend plugin packages to load besides the built-in backends (a list, or comma-separated): package names, found from the current directory and then beside lattice, or paths of package directories; each adds the backend its `./host` door exports",
    env: "LATTICE_PLUGINS",
    flag: "--plugins <packages>",
  }),
  prefix: prefixSetting(),
  createLattice: setting(choice(CREATE_LATTICE_MODES).default("auto"), {
    description:
      "whether a host or write command creates a lattice that does not exist: auto only when the backend holds no lattice yet, always, or never; read-only commands never create one",
    env: "LATTICE_CREATE_LATTICE",
    flag: "--create-lattice <when>",
  }),
  hostId: setting(text(HOST_ID_TEXT).optional(), {
    description: "this host's id (the origin of its writes)",
    env: "LATTICE_HOST_ID",
    flag: "--host-id <id>",
    defaultText: "`host-<random>` (host), `bridge-<random>` (bridge), `cli-<hostname>` (one-shot)",
  }),
  logLevel: setting(choice(LOG_LEVELS).optional(), {
    description: "log level (logs go to stderr, in logFormat)",
    env: "LATTICE_LOG_LEVEL",
    flag: "--log-level <level>",
    defaultText: "`info` for `host` and `bridge`, `warn` for `up` and one-shot commands",
  }),
  logFormat: setting(choice(LOG_FORMATS).default("json"), {
    description:
      "log format on stderr: json (one JSON object a line) or pretty (ISO time, level, message, then key=value fields)",
    env: "LATTICE_LOG_FORMAT",
    flag: "--log-format <format>",
  }),
  http: settingGroup({
    host: setting(text().default("127.0.0.1"), {
      description:
        "interface the HTTP endpoints of host/up/bridge bind; beyond loopback they need http.token (or http.public)",
      env: "LATTICE_HTTP_HOST",
      flag: "--http-host <host>",
    }),
    port: setting(integer(0, 65_535).default(DEFAULT_HTTP_PORT), {
      description: `HTTP port of host/up (default ${DEFAULT_HTTP_PORT}) and bridge (default ${DEFAULT_BRIDGE_HTTP_PORT}); 0 = any free port`,
      env: "LATTICE_HTTP_PORT",
      flag: "--http-port <port>",
      defaultText: `\`${DEFAULT_HTTP_PORT}\`; \`${DEFAULT_BRIDGE_HTTP_PORT}\` for \`lattice bridge\``,
    }),
    token: setting(httpToken().optional(), {
      description: `bearer token the HTTP endpoints require (all but /healthz, /readyz and, unless http.metricsPublic is false, /metrics); at least ${MIN_HTTP_TOKEN_LENGTH} characters`,
      env: "LATTICE_HTTP_TOKEN",
      flag: "--http-token <token>",
      secret: true,
    }),
    tokenFile: setting(text().optional(), {
      description:
        "file holding http.token (read at start, surrounding blanks ignored; the path is not secret)",
      env: "LATTICE_HTTP_TOKEN_FILE",
      flag: "--http-token-file <file>",
    }),
    public: setting(toggle().default(false), {
      description:
        "serve the endpoints without a token beyond loopback (they show every link definition's values)",
      env: "LATTICE_HTTP_PUBLIC",
    }),
    metricsPublic: setting(toggle().default(true), {
      description: "serve /metrics without the token (it holds counts and revisions, no entry values)",
      env: "LATTICE_HTTP_METRICS_PUBLIC",
    }),
    readiness: setting(choice(READINESS_MODES).default("serving"), {
      description:
        "what /readyz answers while the replica is stale (the backend out of reach): serving = 200, it still serves its last consistent view; strict = 503",
      env: "LATTICE_HTTP_READINESS",
      flag: "--http-readiness <mode>",
    }),
    advertise: setting(advertiseUrl().optional(), {
      description:
        "the HTTP address this host tells its peers (status answers, `status --hosts`, the status page's Lattice section); default: the bound one, and for http.host 0.0.0.0 or :: this machine's first non-internal interface address (else its host name)",
      env: "LATTICE_HTTP_ADVERTISE",
    }),
    allowedHosts: setting(hostNameList().optional(), {
      description:
        "host names HTTP requests may name in their Host header besides localhost, IP addresses and http.host (a list, or comma-separated); requests naming another get 421 (DNS rebinding), except on /healthz, /readyz and a public /metrics",
      env: "LATTICE_HTTP_ALLOWED_HOSTS",
    }),
  }).superRefine((given, ctx) => {
    if (given.token !== undefined && given.tokenFile !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: "and http.token both give the token: set only one",
        path: ["tokenFile"],
      });
    }
  }),
  connectTimeoutMs: setting(integer(100, 600_000).default(5000), {
    description: "deadline for opening the backend (connect and provision), in ms",
    env: "LATTICE_CONNECT_TIMEOUT_MS",
  }),
  readyTimeoutMs: setting(integer(100, 3_600_000).default(15_000), {
    description: "how long one-shot commands wait for the initial sync, in ms",
    env: "LATTICE_READY_TIMEOUT_MS",
    flag: "--ready-timeout <ms>",
  }),
  maxValueBytes: setting(integer(1, MAX_VALUE_BYTES_CEILING).default(DEFAULT_MAX_VALUE_BYTES), {
    description: "largest encoded value a write may carry, in bytes; larger ones are refused before sending",
    env: "LATTICE_MAX_VALUE_BYTES",
    flag: "--max-value-bytes <n>",
  }),
  tombstoneRetention: setting(duration().prefault("24h"), {
    description:
      "how long deletes are remembered: replicas drop older tombstones, and hosts remove older delete markers from the backend about once an hour (`lattice compact` does it by hand); 0 keeps them forever; use one value on every host of a lattice",
    env: "LATTICE_TOMBSTONE_RETENTION",
    flag: "--tombstone-retention <duration>",
    defaultText: "`24h`",
  }),
  status: settingGroup({
    secret: setting(statusSecret().optional(), {
      description: `secret shared by a lattice's hosts: each signs its status answers with it (HMAC-SHA256), and \`status --hosts\` and the Lattice section compare only answers signed with it; at least ${MIN_STATUS_SECRET_LENGTH} characters, the same on every host and requester`,
      env: "LATTICE_STATUS_SECRET",
      secret: true,
    }),
    secretFile: setting(text().optional(), {
      description:
        "file holding status.secret (read when the status channel opens, surrounding blanks ignored; the path is not secret)",
      env: "LATTICE_STATUS_SECRET_FILE",
      flag: "--status-secret-file <file>",
    }),
  }).superRefine((given, ctx) => {
    if (given.secret !== undefined && given.secretFile !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: "and status.secret both give the status secret: set only one",
        path: ["secretFile"],
      });
    }
  }),
  bridge: settingGroup({
    policy: setting(
      choice(LEGACY_POLICIES as readonly [LegacyPolicy, ...LegacyPolicy[]]).default("legacy-wins"),
      {
        description:
          "how `lattice bridge` writes an old host's put/del: legacy-wins unconditionally, durable-wins only missing keys",
        env: "LATTICE_BRIDGE_POLICY",
        commandFlag: "bridge --policy",
      },
    ),
  }),
  up: settingGroup({
    natsPublic: setting(toggle().default(false), {
      description:
        "let `lattice up` start its nats-server beyond loopback (`--nats-url nats://0.0.0.0:…`): JetStream with no authentication, which anyone who reaches the port reads and writes",
      env: "LATTICE_UP_NATS_PUBLIC",
      commandFlag: "up --nats-public",
    }),
  }),
};

/** The configuration every host has, whatever its backend: the core settings, validated. */
export type CoreConfig = SettingsValues<typeof CORE_SETTINGS> & {
  /** The registered backend's name. */
  readonly backend: string;
  /** The config file that was read, if any (absolute path). */
  readonly configFile?: string;
};
