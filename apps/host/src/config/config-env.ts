// The environment as a config layer: the variables the schema's settings name (LATTICE_*), with their
// fallbacks (wasmCloud's names) read when they are unset.
import { type ConfigLayer, ConfigLayerBuilder } from "./config-layer.js";
import { HOST_CONFIG_SCHEMA } from "./host-config.js";
import type { HostConfigSchema } from "./host-config-schema.js";
import { settingsCatalog } from "./settings-catalog.js";

/** One environment variable and the config path it sets; `fallbacks` are read when it is unset. */
export interface EnvBinding {
  readonly variable: string;
  readonly path: string;
  readonly fallbacks?: readonly string[];
  /** True for values that must never be printed or logged. */
  readonly secret?: boolean;
}

/** The variable naming the config file when `--config` is not given. */
export const CONFIG_FILE_VARIABLE = "LATTICE_CONFIG";

const bindings = new WeakMap<HostConfigSchema, readonly EnvBinding[]>();

/** Every environment variable `schema`'s settings name, in schema order. */
export function envBindings(schema: HostConfigSchema): readonly EnvBinding[] {
  let list = bindings.get(schema);
  if (!list) {
    list = settingsCatalog(schema).settings.flatMap(({ path, facts }) =>
      facts.env === undefined
        ? []
        : [
            {
              variable: facts.env,
              path,
              ...(facts.envFallbacks && { fallbacks: facts.envFallbacks }),
              ...(facts.secret === true && { secret: true }),
            },
          ],
    );
    bindings.set(schema, list);
  }
  return list;
}

/** Every environment variable the host with its built-in backends reads. */
export const ENV_BINDINGS: readonly EnvBinding[] = envBindings(HOST_CONFIG_SCHEMA);

/** Reads the variables `schema` binds from `env`; empty values count as unset. */
export function envLayer(
  env: Readonly<Record<string, string | undefined>>,
  schema: HostConfigSchema = HOST_CONFIG_SCHEMA,
): ConfigLayer {
  const layer = new ConfigLayerBuilder();
  for (const binding of envBindings(schema)) {
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
