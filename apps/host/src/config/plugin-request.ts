// Which backend plugins a `lattice` run asks for, read before its command line is parsed: the plugins'
// settings are flags too, so they must be registered before the program is built. Reads `backend` and
// `plugins` the way the configuration does — config file < environment < flags, with the settings' own
// variables and flags — without validating anything else (the whole configuration is validated later).
import { envLayer } from "./config-env.js";
import { readConfigFile } from "./config-file.js";
import { flagBindings, flagsLayer, type GlobalFlags, OTHER_GLOBAL_FLAGS } from "./config-flags.js";
import { type ConfigLayer, mergeLayers } from "./config-layer.js";
import { CORE_SETTINGS } from "./core-settings.js";
import type { HostConfigSchema } from "./host-config-schema.js";
import { configFilePath } from "./load-config.js";

/** A setting's value and where it was set (`flag --backend`, `env LATTICE_PLUGINS`, `config file …`). */
export interface RequestedValue<T> {
  readonly value: T;
  readonly source: string;
}

/** The backend a run selects and the plugin packages it names (each undefined when not set). */
export interface PluginRequest {
  readonly backend?: RequestedValue<string>;
  readonly plugins?: RequestedValue<readonly string[]>;
}

/** The settings read here, by path. */
const READ = ["backend", "plugins"] as const;

/**
 * `backend` and `plugins` as `argv` (the command line without node and the script), `env` and the config file
 * they name set them. Values the schema would refuse are left out (validation reports them); an unreadable
 * config file throws its `ConfigurationError`, as loading the configuration would.
 */
export function pluginRequestOf(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  schema: HostConfigSchema,
): PluginRequest {
  const flags = scanFlags(argv, schema);
  const layers: ConfigLayer[] = [];
  const file = configFilePath(flags, env);
  if (file !== undefined) layers.push(readConfigFile(file));
  layers.push(envLayer(env, schema), flagsLayer(flags, schema));
  const { values, sources } = mergeLayers(layers);
  const backend = typeof values.backend === "string" ? values.backend.trim() : undefined;
  const plugins = CORE_SETTINGS.plugins.safeParse(values.plugins);
  return {
    ...(backend && { backend: { value: backend, source: sources.get("backend") ?? "backend" } }),
    ...(plugins.success &&
      plugins.data !== undefined && {
        plugins: { value: plugins.data, source: sources.get("plugins") ?? "plugins" },
      }),
  };
}

/**
 * The flags of `backend`, `plugins` and `--config` among `argv`, as commander would parse them (`--x v` or
 * `--x=v`, the last one winning, nothing after `--`), by their commander names.
 */
function scanFlags(argv: readonly string[], schema: HostConfigSchema): GlobalFlags {
  const options = new Map<string, string>(
    flagBindings(schema)
      .filter((binding) => (READ as readonly string[]).includes(binding.path))
      .map((binding) => [binding.option, binding.flag]),
  );
  for (const flag of OTHER_GLOBAL_FLAGS) if (flag.option === "--config") options.set(flag.option, "config");
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") break;
    const eq = arg.indexOf("=");
    const option = eq > 0 ? arg.slice(0, eq) : arg;
    const name = options.get(option);
    if (name === undefined) continue;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value !== undefined) flags[name] = value;
  }
  return flags;
}
