// The global command-line flags as a config layer (the highest precedence).
import { type ConfigLayer, ConfigLayerBuilder } from "./config-layer.js";

/** Global flags every `lattice` command accepts (commander's camelCase names). */
export interface GlobalFlags {
  readonly backend?: string;
  readonly natsUrl?: string;
  readonly redisUrl?: string;
  readonly prefix?: string;
  readonly jsDomain?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly hostId?: string;
  readonly logLevel?: string;
  readonly httpPort?: string;
  readonly readyTimeout?: string;
  readonly maxValueBytes?: string;
}

/** Flag name → config path, for the flags that are settings (not `--config`/`--json`). */
export const FLAG_BINDINGS: readonly {
  readonly flag: keyof GlobalFlags;
  readonly option: string;
  readonly path: string;
}[] = [
  { flag: "backend", option: "--backend", path: "backend" },
  { flag: "natsUrl", option: "--nats-url", path: "nats.servers" },
  { flag: "redisUrl", option: "--redis-url", path: "redis.url" },
  { flag: "prefix", option: "--prefix", path: "prefix" },
  { flag: "jsDomain", option: "--js-domain", path: "nats.jsDomain" },
  { flag: "hostId", option: "--host-id", path: "hostId" },
  { flag: "logLevel", option: "--log-level", path: "logLevel" },
  { flag: "httpPort", option: "--http-port", path: "http.port" },
  { flag: "readyTimeout", option: "--ready-timeout", path: "readyTimeoutMs" },
  { flag: "maxValueBytes", option: "--max-value-bytes", path: "maxValueBytes" },
];

/** The flags that were given, as a layer. */
export function flagsLayer(flags: GlobalFlags): ConfigLayer {
  const layer = new ConfigLayerBuilder();
  for (const binding of FLAG_BINDINGS) layer.set(binding.path, flags[binding.flag], `flag ${binding.option}`);
  return layer.build();
}
