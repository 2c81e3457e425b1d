// The environment as a config layer: LATTICE_* variables, with wasmCloud's names as fallbacks.
import { type ConfigLayer, ConfigLayerBuilder } from "./config-layer.js";

/** One environment variable and the config path it sets; `fallbacks` are read when it is unset. */
export interface EnvBinding {
  readonly variable: string;
  readonly path: string;
  readonly fallbacks?: readonly string[];
  /** True for values that must never be printed or logged. */
  readonly secret?: boolean;
}

/** Every environment variable the host reads (the README's table is generated from the same facts). */
export const ENV_BINDINGS: readonly EnvBinding[] = [
  { variable: "LATTICE_BACKEND", path: "backend" },
  { variable: "LATTICE_PREFIX", path: "prefix", fallbacks: ["WASMCLOUD_LATTICE_PREFIX"] },
  { variable: "LATTICE_HOST_ID", path: "hostId" },
  { variable: "LATTICE_LOG_LEVEL", path: "logLevel" },
  { variable: "LATTICE_HTTP_PORT", path: "http.port" },
  { variable: "LATTICE_HTTP_HOST", path: "http.host" },
  { variable: "LATTICE_CONNECT_TIMEOUT_MS", path: "connectTimeoutMs" },
  { variable: "LATTICE_READY_TIMEOUT_MS", path: "readyTimeoutMs" },
  { variable: "LATTICE_MAX_VALUE_BYTES", path: "maxValueBytes" },
  { variable: "LATTICE_NATS_URL", path: "nats.servers" },
  { variable: "LATTICE_JS_DOMAIN", path: "nats.jsDomain", fallbacks: ["WASMCLOUD_JS_DOMAIN"] },
  { variable: "LATTICE_NATS_TOKEN", path: "nats.auth.token", secret: true },
  { variable: "LATTICE_NATS_USER", path: "nats.auth.user" },
  { variable: "LATTICE_NATS_PASSWORD", path: "nats.auth.password", secret: true },
  { variable: "LATTICE_NATS_NKEY_SEED", path: "nats.auth.nkeySeed", secret: true },
  { variable: "LATTICE_NATS_CREDS", path: "nats.auth.credsFile" },
  { variable: "LATTICE_NATS_TLS_CA", path: "nats.tls.caFile" },
  { variable: "LATTICE_NATS_TLS_CERT", path: "nats.tls.certFile" },
  { variable: "LATTICE_NATS_TLS_KEY", path: "nats.tls.keyFile" },
  { variable: "LATTICE_NATS_PROVISION", path: "nats.provision" },
  { variable: "LATTICE_BUCKET_REPLICAS", path: "nats.bucket.replicas" },
  { variable: "LATTICE_BUCKET_STORAGE", path: "nats.bucket.storage" },
  { variable: "LATTICE_BUCKET_HISTORY", path: "nats.bucket.history" },
  { variable: "LATTICE_REDIS_URL", path: "redis.url" },
  { variable: "LATTICE_REDIS_USERNAME", path: "redis.username" },
  { variable: "LATTICE_REDIS_PASSWORD", path: "redis.password", secret: true },
  { variable: "LATTICE_REDIS_TLS", path: "redis.tls" },
  { variable: "LATTICE_BRIDGE_POLICY", path: "bridge.policy" },
];

/** The variable naming the config file when `--config` is not given. */
export const CONFIG_FILE_VARIABLE = "LATTICE_CONFIG";

/** Reads the bound variables from `env`; empty values count as unset. */
export function envLayer(env: Readonly<Record<string, string | undefined>>): ConfigLayer {
  const layer = new ConfigLayerBuilder();
  for (const binding of ENV_BINDINGS) {
    for (const name of [binding.variable, ...(binding.fallbacks ?? [])]) {
      const value = env[name];
      if (value !== undefined && value.trim() !== "") {
        layer.set(binding.path, value.trim(), `env ${name}`);
        break;
      }
    }
  }
  return layer.build();
}
