// The one way a `lattice` command gets its configuration: file < environment < flags, then validation.
import { resolve } from "node:path";
import type { ConfigSection } from "@lattice-cache/plugin";
import { CONFIG_FILE_VARIABLE, envLayer } from "./config-env.js";
import { readConfigFile } from "./config-file.js";
import { flagsLayer, type GlobalFlags } from "./config-flags.js";
import { type ConfigLayer, mergeLayers } from "./config-layer.js";
import { BUILTIN_CONFIG_SECTIONS, type HostConfig } from "./host-config.js";
import { hostConfigSchema } from "./host-config-schema.js";
import { validateConfig } from "./validate-config.js";

/** Inputs of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Parsed global flags. Default: none. */
  readonly flags?: GlobalFlags;
  /** The environment. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Backend names that may be selected (the backend registry's names; the first is the default). */
  readonly backends: readonly string[];
  /**
   * The config sections of those backends (the registry's `configSections`): their settings, env variables
   * and flags join the core ones. Default: the built-in backends' sections.
   */
  readonly sections?: readonly ConfigSection[];
  /**
   * A command's own defaults, below the config file (e.g. `lattice bridge` listens on 7412 unless told
   * otherwise). Default: none.
   */
  readonly commandDefaults?: ConfigLayer;
  /** A command's own flags that are settings (e.g. `bridge --policy`), above the global flags. Default: none. */
  readonly commandFlags?: ConfigLayer;
}

/**
 * Reads the config file (`--config`, else `$LATTICE_CONFIG`, else none), the environment and the flags,
 * merges them in that order of precedence (after the command's defaults, before its own flags) and
 * validates the result. Throws `ConfigurationError`.
 */
export function loadConfig(options: LoadConfigOptions): HostConfig {
  const flags = options.flags ?? {};
  const env = options.env ?? process.env;
  const sections = options.sections ?? BUILTIN_CONFIG_SECTIONS;
  const schema = hostConfigSchema({ backends: options.backends, sections });
  const filePath = configFilePath(flags, env);
  const layers: ConfigLayer[] = [];
  if (options.commandDefaults) layers.push(options.commandDefaults);
  if (filePath !== undefined) layers.push(readConfigFile(filePath));
  layers.push(envLayer(env, schema), flagsLayer(flags, schema));
  if (options.commandFlags) layers.push(options.commandFlags);
  return validateConfig(mergeLayers(layers), {
    backends: options.backends,
    sections,
    configFile: filePath === undefined ? undefined : resolve(filePath),
  });
}

/** The config file a run reads: `--config`, else `$LATTICE_CONFIG`, else none. */
export function configFilePath(
  flags: GlobalFlags,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return flags.config ?? nonEmpty(env[CONFIG_FILE_VARIABLE]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
