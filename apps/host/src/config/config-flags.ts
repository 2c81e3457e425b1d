// The global command-line flags: those the schema's settings name (a config layer, the highest precedence),
// and the two that are not settings (`--config`, `--json`).
import { type ConfigLayer, ConfigLayerBuilder } from "./config-layer.js";
import { HOST_CONFIG_SCHEMA } from "./host-config.js";
import type { HostConfigSchema } from "./host-config-schema.js";
import { settingsCatalog } from "./settings-catalog.js";

/** The global flags as commander parsed them (camelCase names): settings' flags, `config` and `json`. */
export interface GlobalFlags {
  readonly config?: string;
  readonly json?: boolean;
  readonly [flag: string]: string | boolean | undefined;
}

/** One flag that sets a setting. */
export interface FlagBinding {
  /** Its name among the parsed flags: `natsUrl`. */
  readonly flag: string;
  /** The option: `--nats-url`. */
  readonly option: string;
  /** The name of its value in `--help`: `urls`. */
  readonly valueName: string;
  /** The config path it sets: `nats.servers`. */
  readonly path: string;
  /** Its `--help` line (with the default, when the description does not tell it). */
  readonly description: string;
  /** The values it accepts, when it takes one of a few. */
  readonly choices?: readonly string[];
}

/** Global flags that are not settings. */
export const OTHER_GLOBAL_FLAGS = [
  { option: "--config", valueName: "file", description: "YAML or JSON config file" },
  { option: "--json", description: "machine-readable output" },
] as const;

const bindings = new WeakMap<HostConfigSchema, readonly FlagBinding[]>();

/** Every flag `schema`'s settings name, in schema order. */
export function flagBindings(schema: HostConfigSchema): readonly FlagBinding[] {
  let list = bindings.get(schema);
  if (!list) {
    list = settingsCatalog(schema).settings.flatMap(({ path, facts, choices, defaultValue }) => {
      const match = facts.flag === undefined ? null : /^(--[a-z][a-z0-9-]*) <([^>]+)>$/.exec(facts.flag);
      if (facts.flag !== undefined && !match) {
        throw new Error(`setting ${path}: flag ${JSON.stringify(facts.flag)} is not "--name <value>"`);
      }
      if (!match) return [];
      const option = match[1] as string;
      return [
        {
          flag: option.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
          option,
          valueName: match[2] as string,
          path,
          description:
            defaultValue === undefined || facts.defaultText !== undefined
              ? facts.description
              : `${facts.description} (default ${helpValue(defaultValue)})`,
          ...(choices && { choices }),
        },
      ];
    });
    bindings.set(schema, list);
  }
  return list;
}

/** Every flag of a setting the host with its built-in backends takes. */
export const FLAG_BINDINGS: readonly FlagBinding[] = flagBindings(HOST_CONFIG_SCHEMA);

/** The flags that were given, as a layer. */
export function flagsLayer(flags: GlobalFlags, schema: HostConfigSchema = HOST_CONFIG_SCHEMA): ConfigLayer {
  const layer = new ConfigLayerBuilder();
  for (const binding of flagBindings(schema)) {
    layer.set(binding.path, flags[binding.flag], `flag ${binding.option}`);
  }
  return layer.build();
}

/** A default as `--help` shows it: text quoted (`"default"`), a list as one comma-separated text. */
function helpValue(value: unknown): string {
  const text = Array.isArray(value) ? value.join(",") : value;
  return typeof text === "string" ? JSON.stringify(text) : String(text);
}
