// The options of this package as one schema: where the generation-1 lattice is (the NATS settings of the
// host's `nats` section — the very same setting schemas — plus the lattice prefix and what only a program can
// hand over: a connection, client options), and what the backend adds. Defaults and checks live here only;
// a bad value is worded as `lattice` words it (`nats.servers …`, `prefix …`).
import { type Logger, silentLogger } from "@lattice-cache/core/backend";
import {
  configSection,
  describeValue,
  HOST_ID_TEXT,
  integer,
  mapping,
  parseOptions,
  prefixSetting,
  text,
  toggle,
} from "@lattice-cache/plugin";
import { NATS_CONNECTION_SETTINGS } from "@lattice-cache/plugin/nats";
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { z } from "zod";

/** The settings `lattice` reads for this backend: how to reach NATS (`nats.servers`, `nats.auth`, `nats.tls`). */
export const LEGACY_SETTINGS = NATS_CONNECTION_SETTINGS;

/** The host's `nats` section as this backend contributes it (shared with the jetstream backend). */
export const legacyConfigSection = configSection("nats", LEGACY_SETTINGS);

/** Default timeout of each start-up `.get` request, as old hosts used. */
export const DEFAULT_LEGACY_GET_TIMEOUT_MS = 2000;

/** Default deadline for a write's publish to be confirmed by the server. */
export const DEFAULT_LEGACY_PUBLISH_TIMEOUT_MS = 2000;

/** Default deadline for one connection attempt (the NATS client's own). */
export const DEFAULT_LEGACY_CONNECT_TIMEOUT_MS = 20_000;

/** nats.js options passed through as they are (`servers` and `noEcho` are this package's). */
export type LegacyClientOptions = Omit<ConnectionOptions, "servers" | "noEcho">;

const isObject = (value: unknown): value is object => typeof value === "object" && value !== null;

/** Where the generation-1 lattice is: what the backend, the bridge and the migrations connect with. */
const CONNECTION_SHAPE = {
  ...LEGACY_SETTINGS,
  /** The lattice prefix: subjects are `wasmbus.rpc.{prefix}.…`. Default `default`. */
  prefix: prefixSetting(),
  /** How long one connection attempt may take, in ms. Default 20 000 (the client's own). */
  connectTimeoutMs: integer(100, 600_000).default(DEFAULT_LEGACY_CONNECT_TIMEOUT_MS),
  /**
   * An open connection to use instead of connecting (then `servers`, `auth`, `tls` are unused). It is
   * borrowed: never closed by this package. Own broadcasts are then filtered by a header instead of `noEcho`.
   */
  connection: z
    .custom<NatsConnection>(
      (value) => isObject(value) && typeof Reflect.get(value, "subscribe") === "function",
      {
        error: (issue) => `must be an open NATS connection (got ${describeValue(issue.input)})`,
      },
    )
    .optional(),
  /**
   * nats.js client options applied over those built from the settings (name, reconnect policy, …). An owned
   * connection reconnects forever unless these say otherwise. Default: none.
   */
  connectionOptions: z
    .custom<LegacyClientOptions>(isObject, {
      error: (issue) => `must be a mapping of NATS client options (got ${describeValue(issue.input)})`,
    })
    .optional(),
};

/** The connection options alone (for `LegacyBridge`'s `legacy` and the migrations). */
export const LEGACY_CONNECTION_OPTIONS = mapping(CONNECTION_SHAPE);

/** The options of `LegacyBackend`. */
export const LEGACY_BACKEND_OPTIONS = mapping({
  ...CONNECTION_SHAPE,
  /** This host's id, used in the NATS connection name. Default: `host-` + random hex. */
  hostId: text(HOST_ID_TEXT).optional(),
  /** Timeout of each start-up `.get` request; on timeout the backend begins empty. Default 2000 ms. */
  getTimeoutMs: integer(1, 600_000).default(DEFAULT_LEGACY_GET_TIMEOUT_MS),
  /** How long a write waits for the server to confirm its publish. Default 2000 ms. */
  publishTimeoutMs: integer(1, 600_000).default(DEFAULT_LEGACY_PUBLISH_TIMEOUT_MS),
  /** Join the `.get` queue groups and answer from this backend's state, as old hosts did. Default true. */
  answerGets: toggle().default(true),
  /** Structured logger (pino works). Default: silent. */
  logger: z
    .custom<Logger>((value) => isObject(value) && typeof Reflect.get(value, "warn") === "function", {
      error: (issue) => `must be a logger with debug/info/warn/error (got ${describeValue(issue.input)})`,
    })
    .default(silentLogger),
});

/** Where the generation-1 lattice is, as given: settings as in `lattice`'s `nats` section, or a connection. */
export type LegacyConnectionOptions = z.input<typeof LEGACY_CONNECTION_OPTIONS>;

/** The connection options after defaults and validation. */
export type LegacyConnectionSettings = z.output<typeof LEGACY_CONNECTION_OPTIONS>;

/** Options of `LegacyBackend`, as given (see the README's table). */
export type LegacyBackendOptions = z.input<typeof LEGACY_BACKEND_OPTIONS>;

/** The backend's options after defaults and validation. */
export type LegacyBackendSettings = z.output<typeof LEGACY_BACKEND_OPTIONS>;

/** The connection part of `options` (other members ignored), validated; throws `ConfigurationError`. */
export function parseLegacyConnection(options: object): LegacyConnectionSettings {
  const given = Object.fromEntries(
    Object.keys(CONNECTION_SHAPE).flatMap((key) =>
      key in options ? [[key, Reflect.get(options, key)]] : [],
    ),
  );
  return parseOptions(LEGACY_CONNECTION_OPTIONS, given, legacyConfigSection);
}
